package main

import (
	"bufio"
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// TestREADMEShowsThisExample keeps the README's Go example and this program the same.
func TestREADMEShowsThisExample(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	src, err := os.ReadFile("main.go")
	if err != nil {
		t.Fatal(err)
	}
	// The README shows the program from `package main` on.
	code := string(src[bytes.Index(src, []byte("package main")):])
	if !strings.Contains(string(readme), "```go\n"+code+"```\n") {
		t.Fatal("README.md's Go example differs from docs/examples/latejoin/main.go: copy the program (from `package main` on) into the README")
	}
}

// TestALateJoinerGetsTheHistoryThenLiveEvents runs the example against an embedded server
// that keeps history: it prints a description kept before it started, then one published after.
func TestALateJoinerGetsTheHistoryThenLiveEvents(t *testing.T) {
	srv := bustest.ServerWith(t, bus.ServerConfig{Listen: "127.0.0.1:0", StoreDir: t.TempDir()})
	pub := bustest.Conn(t, srv, "pub")
	rec, err := bus.NewRecorder(bustest.Conn(t, srv, "recorder"), bus.RecorderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, rec)
	if err := rec.Err(); err != nil {
		t.Fatal(err)
	}
	describe := func(id, text string) {
		t.Helper()
		d := bus.Description{ID: id, Camera: "door", FrameID: "f-" + id, Text: text, Backend: "heuristic", CapturedAt: time.Now()}
		if err := pub.PublishEvent(bus.DescriptionSubject("door"), d); err != nil {
			t.Fatal(err)
		}
	}
	describe("d1", "A red box.")
	partial := bus.Description{ID: "d2", Camera: "door", Partial: true, Text: "A blue"}
	if err := pub.PublishEvent(bus.DescriptionSubject("door"), partial); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, "the first description to be kept", func() bool {
		n := 0
		_ = bus.ReadHistory(t.Context(), pub, bus.HistoryQuery{}, func(bus.HistoryEvent) error { n++; return nil })
		return n == 1
	})

	bin := filepath.Join(t.TempDir(), "latejoin")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("build the example: %v\n%s", err, out)
	}
	cmd := exec.Command(bin, srv.ClientURL())
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	hang := time.AfterFunc(time.Minute, func() { _ = cmd.Process.Kill() }) // a hang detector, not a speed check
	defer hang.Stop()
	lines := bufio.NewScanner(out)
	next := func() string {
		t.Helper()
		if !lines.Scan() {
			t.Fatal("the example stopped printing")
		}
		return lines.Text()
	}
	if got := next(); !strings.HasSuffix(got, " door: A red box.") {
		t.Fatalf("first line %q, want the description kept before the example started", got)
	}
	describe("d2", "A blue box.")
	if got := next(); !strings.HasSuffix(got, " door: A blue box.") {
		t.Fatalf("second line %q, want the live description", got)
	}
}
