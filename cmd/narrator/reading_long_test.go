//go:build cgo

package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// noticeLines are the lines of the notice in pageClip: five, more than the three a reading says
// unasked.
var noticeLines = []string{
	"Notice to all visitors",
	"The museum opens at 10 am",
	"Tickets are sold at the front desk",
	"Children under 12 go free",
	"Please leave bags in the cloakroom",
}

// pageClip writes a 20 s clip of a printed notice, noticeLines in black on white.
func pageClip(t *testing.T) string {
	t.Helper()
	const font = "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf" // fonts-dejavu-core
	if _, err := os.Stat(font); err != nil {
		t.Skip("no DejaVu font to print the notice with (fonts-dejavu-core)")
	}
	filter := []string{"color=c=white:s=1024x576:d=20:r=10"}
	for i, l := range noticeLines {
		filter = append(filter, fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontsize=34:fontcolor=black:x=120:y=%d", font, l, 100+i*80))
	}
	path := filepath.Join(t.TempDir(), "notice.mp4")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", strings.Join(filter, ","), "-pix_fmt", "yuv420p", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// TestReadingLongTextEndToEnd: pointed at a notice of five lines, the narrator (the binary,
// --backend ocr, no model) says the first three and "more text"; `narrator ctl read` then has it
// read the whole notice, every line, once more in full.
func TestReadingLongTextEndToEnd(t *testing.T) {
	clip := pageClip(t)
	addr := "127.0.0.1:" + freePort(t)
	cmd := exec.Command(binary, "run", "--source", "file:"+clip, "--loop", "--backend", "ocr", "--speech", "text", "--keys=false", "--listen", addr)
	var said, stderr lockedBuffer // what is said is printed on stdout (--speech text)
	cmd.Stdout, cmd.Stderr = &said, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	reading := regexp.MustCompile(`(?m)^» Text: .*$`)
	for deadline := time.Now().Add(time.Minute); !reading.MatchString(said.String()); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("the notice was not read within a minute\nsaid:\n%s\nstderr:\n%s", said.String(), stderr.String())
		}
	}
	first := reading.FindString(said.String())
	want := "» Text: " + strings.Join(noticeLines[:3], ". ") + ". … more text."
	if first != want {
		t.Fatalf("read unasked %q, want %q\nsaid:\n%s", first, want, said.String())
	}
	if c, err := net.Dial("tcp", addr); err != nil {
		t.Fatalf("the run does not listen on %s: %v", addr, err)
	} else {
		_ = c.Close()
	}

	var stdout, ctlErr lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, []string{"ctl", "read", "--nats", "nats://" + addr}, &stdout, &ctlErr); err != nil {
		t.Fatalf("ctl read: %v\n%s", err, ctlErr.String())
	}
	full := "Text: " + strings.Join(noticeLines, ". ") + "."
	if !strings.Contains(stdout.String(), full) {
		t.Errorf("ctl read printed %q, want the whole notice %q", stdout.String(), full)
	}
	bustest.Eventually(t, 30*time.Second, "the whole notice said", func() bool { return strings.Contains(said.String(), "» "+full) })
	if n := len(reading.FindAllString(said.String(), -1)); n != 2 {
		t.Errorf("the notice was said %d times, want twice (once cut, once in full on request)\nsaid:\n%s", n, said.String())
	}
	t.Logf("said unasked: %q; ctl read printed %q", first, strings.TrimSpace(stdout.String()))
}

// TestReadingKeyTInATerminal: the same notice in a real terminal (tmux), the keys on: after the
// cut reading, pressing t says the whole notice.
func TestReadingKeyTInATerminal(t *testing.T) {
	clip := pageClip(t)
	p := startInTmux(t, []string{binary, "run", "--source", "file:" + clip, "--loop", "--backend", "ocr", "--speech", "text"})
	full := "» Text: " + strings.Join(noticeLines, ". ") + "."
	shows := func(s string) bool {
		for _, l := range p.lines() {
			if strings.Contains(l, s) {
				return true
			}
		}
		return false
	}
	waitFor := func(what, s string) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); !shows(s); time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("the terminal never showed %s (%q):\n%s\nstderr:\n%s", what, s, strings.Join(p.lines(), "\n"), p.stderrText())
			}
		}
	}
	waitFor("the cut reading", "… more text.")
	if shows(full) {
		t.Fatalf("the whole notice was said before t was pressed:\n%s", strings.Join(p.lines(), "\n"))
	}
	p.send("t")
	waitFor("the whole notice", full)
	p.send("q") // quitting is TestKeysInARealTerminal's; the cleanup ends the session either way
}

// TestHeardASign: a sign is heard, not only printed: with espeak-ng through PortAudio into the
// null sink (spoken_audio_test.go's ear), "Sign: NO ENTRY." is spoken once, and the sink
// carries sound while it plays.
func TestHeardASign(t *testing.T) {
	sink := earSink(t)
	rec := listen(t, sink)
	clip := signClip(t)
	var log speechLog
	cmd := exec.Command(binary, "run", "--source", "file:"+clip, "--backend", "ocr", "--speech", "portaudio", "--rate", "320", "--keys=false", "--json")
	cmd.Stdout = &log
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for _, sign := range []string{"Sign: NO ENTRY.", "Sign: EXIT ONLY."} {
		started, finished := log.said(t, sign, 2*time.Minute)
		heardSpeech(t, rec, started, finished)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("run: %v\n%s", err, stderr.String())
	}
	log.mu.Lock()
	defer log.mu.Unlock()
	var signs []string
	for _, e := range log.events {
		if e.State == bus.SpeechStarted && strings.HasPrefix(e.Text, "Sign:") {
			signs = append(signs, e.Text)
		}
	}
	if strings.Join(signs, "|") != "Sign: NO ENTRY.|Sign: EXIT ONLY." {
		t.Errorf("signs spoken: %q, want each once", signs)
	}
}
