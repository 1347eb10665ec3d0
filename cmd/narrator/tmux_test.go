package main

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// These tests type the single keys into a real terminal: `narrator run --transcript` runs in a
// tmux pane (its own tmux server), the keys are sent with `tmux send-keys`, what is said is
// taken from the bus (utterances and speech events) and heard on the null sink, and what the
// terminal shows is read back with `tmux capture-pane`.

// tmuxPane is one narrator running in a detached tmux session.
type tmuxPane struct {
	t      *testing.T
	socket string
	stderr string // the file the program's stderr goes to
	status string // the file its exit status is written to
}

// tmux runs a tmux command on the test's own server.
func (p *tmuxPane) tmux(args ...string) string {
	p.t.Helper()
	cmd := exec.Command("tmux", append([]string{"-L", p.socket}, args...)...)
	cmd.Env = withoutEnv(os.Environ(), "TMUX")
	out, err := cmd.CombinedOutput()
	if err != nil {
		p.t.Fatalf("tmux %v: %v\n%s", args, err, out)
	}
	return string(out)
}

func withoutEnv(env []string, name string) []string {
	var kept []string
	for _, e := range env {
		if !strings.HasPrefix(e, name+"=") {
			kept = append(kept, e)
		}
	}
	return kept
}

// startInTmux starts argv in a 400-column pane whose stderr goes to a file. The pane's shell
// waits for the program and writes its exit status to a file (128+N for signal N: tmux 3.3
// reports no status for a process a signal killed); the pane stays after it exits, so its
// last lines can be read.
func startInTmux(t *testing.T, argv []string) *tmuxPane {
	t.Helper()
	if _, err := exec.LookPath("tmux"); err != nil {
		if os.Getenv("NARRATOR_AUDIO_SINK") != "" {
			t.Fatal("the real-terminal tests need tmux: scripts/install-deps --test installs it")
		}
		t.Skip("tmux not installed")
	}
	dir := t.TempDir()
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g history-limit 10000\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	p := &tmuxPane{t: t, socket: fmt.Sprintf("narrator-test-%d", os.Getpid()),
		stderr: filepath.Join(dir, "stderr"), status: filepath.Join(dir, "status")}
	quoted := make([]string, len(argv))
	for i, a := range argv {
		quoted[i] = "'" + strings.ReplaceAll(a, "'", `'\''`) + "'"
	}
	// Not exec: the shell stays, in the same (foreground) process group as the program.
	p.tmux("-f", conf, "new-session", "-d", "-s", "n", "-x", "400", "-y", "100",
		strings.Join(quoted, " ")+" 2>"+p.stderr+"; echo $? >"+p.status)
	t.Cleanup(func() {
		cmd := exec.Command("tmux", "-L", p.socket, "kill-server")
		cmd.Env = withoutEnv(os.Environ(), "TMUX")
		_ = cmd.Run()
	})
	return p
}

// exitStatus waits up to wait for the program to exit and returns its status ("0"), or ""
// when it is still running.
func (p *tmuxPane) exitStatus(wait time.Duration) string {
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(50 * time.Millisecond) {
		if b, err := os.ReadFile(p.status); err == nil && bytes.HasSuffix(b, []byte("\n")) {
			return strings.TrimSpace(string(b))
		}
	}
	return ""
}

// stderrText is what the program printed on stderr so far.
func (p *tmuxPane) stderrText() string {
	b, _ := os.ReadFile(p.stderr)
	return string(b)
}

// dumpGoroutines asks the program (the pane shell's child) for every goroutine's stack:
// SIGQUIT makes the Go runtime print them on stderr and exit.
func (p *tmuxPane) dumpGoroutines() {
	shell := strings.TrimSpace(p.tmux("display-message", "-p", "-t", "n", "#{pane_pid}"))
	out, _ := exec.Command("pgrep", "-P", shell).Output()
	for f := range strings.FieldsSeq(string(out)) {
		if pid, err := strconv.Atoi(f); err == nil {
			_ = syscall.Kill(pid, syscall.SIGQUIT)
		}
	}
	time.Sleep(2 * time.Second)
}

// send types keys literally, as a person at the terminal would.
func (p *tmuxPane) send(keys string) { p.tmux("send-keys", "-t", "n", "-l", keys) }

// lines is everything the pane showed, wrapped lines joined, trailing blank lines dropped.
func (p *tmuxPane) lines() []string {
	out := strings.Split(strings.TrimRight(p.tmux("capture-pane", "-p", "-J", "-S", "-", "-t", "n"), "\n "), "\n")
	for i := range out {
		out[i] = strings.TrimRight(out[i], " ")
	}
	return out
}

// busWatch collects utterances and speech events from a narrator's bus.
type busWatch struct {
	mu         sync.Mutex
	utterances []bus.Utterance
	speech     []bus.SpeechEvent
}

func watchBus(t *testing.T, addr string) *busWatch {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := bus.Dial(ctx, "nats://"+addr, "tmux-test", bus.Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	us := bustest.Collect[bus.Utterance](t, c, bus.SubjectUtterances, 256)
	ss := bustest.Collect[bus.SpeechEvent](t, c, bus.SubjectSpeech, 1024)
	w := &busWatch{}
	rctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			u, err := us.Next(rctx)
			if err != nil {
				return
			}
			w.mu.Lock()
			w.utterances = append(w.utterances, u)
			w.mu.Unlock()
		}
	})
	wg.Go(func() {
		for {
			e, err := ss.Next(rctx)
			if err != nil {
				return
			}
			w.mu.Lock()
			w.speech = append(w.speech, e)
			w.mu.Unlock()
		}
	})
	t.Cleanup(func() { stop(); wg.Wait() })
	return w
}

// finished waits until an utterance whose text satisfies match has been said to its end, and
// returns its started and finished events.
func (w *busWatch) finished(t *testing.T, what string, match func(string) bool) (started, finished bus.SpeechEvent) {
	t.Helper()
	started, end := w.ended(t, what, func(e bus.SpeechEvent) bool { return match(e.Text) })
	if end.State != bus.SpeechFinished {
		t.Fatalf("%s: %q was %s (%s)", what, end.Text, end.State, end.Reason)
	}
	return started, end
}

// ended waits until an utterance whose events satisfy match has started and ended (finished,
// interrupted or dropped), and returns its started and last events.
func (w *busWatch) ended(t *testing.T, what string, match func(bus.SpeechEvent) bool) (started, end bus.SpeechEvent) {
	t.Helper()
	bustest.Eventually(t, time.Minute, what+" said", func() bool {
		w.mu.Lock()
		defer w.mu.Unlock()
		for _, e := range w.speech {
			if !match(e) {
				continue
			}
			if e.State == bus.SpeechStarted {
				started = e
			} else {
				end = e
			}
		}
		return end.ID != ""
	})
	return started, end
}

// TestKeysInARealTerminal types every single key into `narrator run --transcript` in a real
// terminal: each is acknowledged once, aloud; `?` is heard as the spoken help; the terminal
// shows exactly one transcript line per thing heard, in order, and nothing else; `q` says
// goodbye and exits 0.
func TestKeysInARealTerminal(t *testing.T) {
	sink := earSink(t)
	rec := listen(t, sink)
	addr := "127.0.0.1:" + freePort(t)
	pane := startInTmux(t, []string{binary, "run", "--transcript", "--source", "demo", "--backend", "heuristic",
		"--speech", "portaudio", "--rate", "320", "--mode", "ondemand", "--listen", addr})
	bustest.Eventually(t, 30*time.Second, "the narrator listening in the pane", func() bool {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			_ = c.Close()
		}
		return err == nil
	})
	w := watchBus(t, addr)
	// The start-up summary is the last start-up announcement; the keys are read by then.
	w.finished(t, "the start-up summary", func(s string) bool { return strings.HasPrefix(s, "Narrating the demo scene") })

	is := func(want string) func(string) bool { return func(s string) bool { return s == want } }
	steps := []struct {
		key, what string
		ack       func(string) bool
	}{
		{"?", "the spoken help", is(announce.Make(announce.Help).Text)},
		{" ", "Looking.", is(announce.Make(announce.AckDescribe).Text)},
		{"p", "Paused.", is(announce.Make(announce.AckPause).Text)},
		{"p", "Resumed.", is(announce.Make(announce.AckResume).Text)},
		{"+", "More detail.", is(announce.Make(announce.AckMoreDetail).Text)},
		{"-", "Less detail.", is(announce.Make(announce.AckLessDetail).Text)},
		{".", "the faster rate", is(announce.Make(announce.AckRate, 320+bus.RateStep).Text)},
		{",", "the slower rate", is(announce.Make(announce.AckRate, 320).Text)},
		{"[", "the lower volume", is(announce.Make(announce.AckVolume, 100-bus.VolumeStep).Text)},
		{"]", "the higher volume", is(announce.Make(announce.AckVolume, 100).Text)},
		{"s", "Stopped.", is(announce.Make(announce.AckStop).Text)},
	}
	for _, s := range steps {
		pane.send(s.key)
		what := fmt.Sprintf("%s (key %q)", s.what, s.key)
		if s.key == " " {
			// "Looking." fills the wait for the answer; the answer is urgent and goes first, so
			// an answer ready before "Looking." was heard to its end cuts it or takes its place.
			_, end := w.ended(t, what, func(e bus.SpeechEvent) bool { return s.ack(e.Text) })
			if end.State != bus.SpeechFinished && end.Reason != bus.ReasonUrgent {
				t.Errorf("%s: %s (%s); want it said, or cut by the answer", what, end.State, end.Reason)
			}
			_, answer := w.ended(t, "the description", func(e bus.SpeechEvent) bool { return e.Kind == bus.KindNarration })
			if answer.State != bus.SpeechFinished {
				t.Errorf("the description asked for was %s (%s)", answer.State, answer.Reason)
			}
			continue
		}
		started, finished := w.finished(t, what, s.ack)
		if started.Kind != bus.KindAnnouncement {
			t.Errorf("key %q: %q has kind %q, want an announcement", s.key, started.Text, started.Kind)
		}
		if s.key == "?" {
			heardSpeech(t, rec, started, finished)
		}
	}
	pane.send("q")
	w.finished(t, "Goodbye.", is(announce.Make(announce.AckQuit).Text))
	status := pane.exitStatus(time.Minute) // a hang detector
	if status == "" {
		pane.dumpGoroutines()
		t.Fatalf("the narrator did not exit after q\npane:\n%s\nstderr:\n%s", strings.Join(pane.lines(), "\n"), pane.stderrText())
	}
	stderr := pane.stderrText()
	if status != "0" {
		t.Errorf("after q the narrator exited with status %s, want 0 (128+N: killed by signal N); stderr:\n%s", status, stderr)
	}

	w.mu.Lock()
	defer w.mu.Unlock()
	// Every key acknowledged once: one acknowledgement utterance per key, no more.
	acks := map[string]int{}
	for _, u := range w.utterances {
		if u.Topic == bus.TopicAck || u.Topic == bus.TopicHelp {
			acks[u.Text]++
		}
	}
	for _, s := range steps {
		n := 0
		for text, c := range acks {
			if s.ack(text) {
				n += c
			}
		}
		if n != 1 {
			t.Errorf("key %q was acknowledged %d times (%v)", s.key, n, acks)
		}
	}
	// The terminal: one transcript line per utterance started, in order, each once, and nothing
	// else (the pane's last line is tmux's own "Pane is dead" notice).
	var heard []string
	for _, e := range w.speech {
		if e.State == bus.SpeechStarted {
			heard = append(heard, announce.TranscriptPrefix+e.Text)
		}
	}
	var shown []string
	for _, l := range pane.lines() {
		if l != "" && !strings.HasPrefix(l, "Pane is dead") {
			shown = append(shown, l)
		}
	}
	if strings.Join(shown, "\n") != strings.Join(heard, "\n") {
		t.Errorf("the terminal showed:\n%s\n\nwhat was heard, in order:\n%s\n\nstderr:\n%s", strings.Join(shown, "\n"), strings.Join(heard, "\n"), stderr)
	}
}
