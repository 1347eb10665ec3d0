package main

import (
	"bufio"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// narratorIn runs `narrator ARGS…` with its data directory in home.
func narratorIn(home string, args ...string) *exec.Cmd {
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "NARRATOR_HOME="+home)
	return cmd
}

// startRunIn starts `narrator run` on the demo scene, listening on addr, with its data
// directory in home, and returns it with its stderr.
func startRunIn(t *testing.T, home, addr string, extra ...string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	args := append([]string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--listen", addr}, extra...)
	cmd := narratorIn(home, args...)
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("narrator run stderr:\n%s", stderr.String())
		}
	})
	waitListening(t, addr)
	return cmd, stderr
}

// statusReply is `narrator ctl status --json`.
type statusReply struct {
	bus.ControlReply
	Latest   []bus.Latest `json:"latest"`
	NoLatest string       `json:"no_latest"`
}

func ctlStatus(t *testing.T, home, url string) statusReply {
	t.Helper()
	out, err := narratorIn(home, "ctl", "status", "--json", "--nats", url).Output()
	if err != nil {
		t.Fatalf("ctl status: %v\n%s", err, out)
	}
	var r statusReply
	if err := json.Unmarshal(out, &r); err != nil {
		t.Fatalf("ctl status --json printed %q: %v", out, err)
	}
	return r
}

// historyJSON runs `narrator history --json ARGS…` and returns its events.
func historyJSON(t *testing.T, home string, args ...string) []map[string]json.RawMessage {
	t.Helper()
	cmd := narratorIn(home, append([]string{"history", "--json"}, args...)...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("history: %v\n%s", err, stderr.String())
	}
	var events []map[string]json.RawMessage
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var e map[string]json.RawMessage
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil {
			t.Fatalf("history --json printed %q: %v", sc.Text(), err)
		}
		events = append(events, e)
	}
	return events
}

func descriptionIDs(t *testing.T, events []map[string]json.RawMessage) map[string]bool {
	ids := map[string]bool{}
	for _, e := range events {
		var subject string
		json.Unmarshal(e["subject"], &subject)
		if !isDescription(subject) {
			continue
		}
		var d bus.Description
		if err := json.Unmarshal(e["data"], &d); err != nil {
			t.Fatal(err)
		}
		if d.Partial {
			t.Fatalf("a partial description was kept: %+v", d)
		}
		ids[d.ID] = true
	}
	return ids
}

func TestHistorySurvivesKill9AndLatestAnswersAtOnce(t *testing.T) {
	home := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	url := "nats://" + addr
	run, _ := startRunIn(t, home, addr, "--heartbeat", "300ms")
	var before statusReply
	bustest.Eventually(t, 20*time.Second, "ctl status to carry the latest description", func() bool {
		before = ctlStatus(t, home, url)
		return len(before.Latest) == 1 && before.Latest[0].Description != nil && before.Latest[0].Utterance != nil
	})
	seen := before.Latest[0].Description
	if before.Latest[0].Camera != "cam0" || seen.Text == "" {
		t.Fatalf("latest: %+v", before.Latest)
	}
	run.Process.Signal(syscall.SIGKILL)
	run.Wait()

	// With no narrator running, history reads the data directory.
	kept := descriptionIDs(t, historyJSON(t, home, "--since", "10m", "--nats", url))
	if !kept[seen.ID] {
		t.Fatalf("after kill -9 the history lacks description %s (has %v)", seen.ID, kept)
	}

	// Restarted on the same data directory, the latest is there at once.
	addr2 := "127.0.0.1:" + freePort(t)
	startRunIn(t, home, addr2, "--heartbeat", "300ms")
	after := ctlStatus(t, home, "nats://"+addr2)
	if len(after.Latest) != 1 || after.Latest[0].Description == nil || after.Latest[0].Description.CapturedAt.Before(seen.CapturedAt) {
		t.Fatalf("latest right after restart: %+v (no_latest %q), want description %s or newer", after.Latest, after.NoLatest, seen.ID)
	}
	kept = descriptionIDs(t, historyJSON(t, home, "--since", "10m", "--camera", "cam0", "--nats", "nats://"+addr2))
	if !kept[seen.ID] {
		t.Fatalf("after restart the history lacks description %s", seen.ID)
	}
}

func TestHistoryOnAnExternalServer(t *testing.T) {
	home := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	url := "nats://" + addr
	natsServer(t, addr, "-js", "-sd", filepath.Join(t.TempDir(), "js"))
	stageProcess(t, "run", "--nats", url, "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--heartbeat", "300ms")
	bustest.Eventually(t, 20*time.Second, "descriptions in the server's JetStream", func() bool {
		// Until the recorder has made the stream, history says there is none.
		if err := narratorIn(home, "history", "--nats", url).Run(); err != nil {
			return false
		}
		return len(descriptionIDs(t, historyJSON(t, home, "--nats", url))) >= 2
	})
	if r := ctlStatus(t, home, url); len(r.Latest) != 1 || r.Latest[0].Description == nil {
		t.Fatalf("ctl status on the external server: %+v", r)
	}
	if _, err := os.Stat(filepath.Join(home, "history")); err == nil {
		t.Fatal("with --nats the narrator kept a history in its data directory too")
	}
}

func TestRunSaysOnceWhenTheExternalServerHasNoJetStream(t *testing.T) {
	home := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	url := "nats://" + addr
	natsServer(t, addr)
	run := narratorIn(home, "run", "--nats", url, "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--duration", "2s")
	out, err := run.CombinedOutput()
	if err != nil {
		t.Fatalf("run without JetStream failed: %v\n%s", err, out)
	}
	if n := strings.Count(string(out), "has no JetStream"); n != 1 {
		t.Fatalf("said %d times that the server has no JetStream, want once:\n%s", n, out)
	}
	hist := narratorIn(home, "history", "--nats", url)
	msg, err := hist.CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "JetStream") {
		t.Fatalf("history without JetStream: %v\n%s", err, msg)
	}
}

func TestListenHidesStatsUnlessAsked(t *testing.T) {
	home := t.TempDir()
	addr := "127.0.0.1:" + freePort(t)
	url := "nats://" + addr
	startRunIn(t, home, addr, "--heartbeat", "300ms")
	start := func(args ...string) (*exec.Cmd, *bufio.Scanner) {
		cmd := exec.Command(binary, append([]string{"listen", "--json", "--nats", url}, args...)...)
		out, _ := cmd.StdoutPipe()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		sc := bufio.NewScanner(out)
		sc.Buffer(make([]byte, 1<<20), 1<<20)
		return cmd, sc
	}
	subjectOf := func(line []byte) string {
		var e struct{ Subject string }
		json.Unmarshal(line, &e)
		return e.Subject
	}
	plain, plainOut := start()
	_, statsOut := start("--stats")
	for statsOut.Scan() {
		if subjectOf(statsOut.Bytes()) == bus.SubjectStats {
			break
		}
	}
	// The plain listener has seen the same stats by now; it printed none of them.
	plain.Process.Signal(syscall.SIGTERM)
	descriptions := 0
	for plainOut.Scan() {
		switch s := subjectOf(plainOut.Bytes()); {
		case bus.IsStatsSubject(s):
			t.Fatalf("listen without --stats printed %s", plainOut.Text())
		case isDescription(s):
			descriptions++
		}
	}
	if descriptions == 0 {
		t.Fatal("listen printed no descriptions")
	}
}

func TestVersion(t *testing.T) {
	out, err := exec.Command(binary, "version").Output()
	if err != nil {
		t.Fatal(err)
	}
	flag, err := exec.Command(binary, "--version").Output()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(out), "narrator ") || string(flag) != string(out) {
		t.Fatalf("version printed %q, --version %q", out, flag)
	}
	js, err := exec.Command(binary, "version", "--json").Output()
	if err != nil {
		t.Fatal(err)
	}
	var v struct{ Module, Version, Revision, Go string }
	if err := json.Unmarshal(js, &v); err != nil {
		t.Fatal(err)
	}
	if v.Module != "github.com/narrator-dev/narrator" || v.Version == "" || v.Go == "" {
		t.Fatalf("version --json: %s", js)
	}
	if (v.Revision == "") != strings.Contains(string(out), "revision unknown") {
		t.Fatalf("version %q disagrees with --json %s", out, js)
	}
}

func isDescription(subject string) bool {
	kind, _ := bus.SubjectKind(subject)
	return kind == bus.KindDescriptions
}
