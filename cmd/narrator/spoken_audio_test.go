package main

import (
	"bufio"
	"context"
	lebinary "encoding/binary"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference/openai/servertest"
)

// These tests hear the narrator: real espeak-ng speech played through PortAudio into the
// PulseAudio null sink, recorded from its monitor with parec, with the speech events (from
// --json) as the oracle of what was said when. The recorder follows speech/audio_test.go's
// (record, loudWindows), kept small: only "was there speech while this utterance played".

const (
	earRate   = 16000
	earWindow = earRate / 100 // 10 ms
	earLoud   = 30            // window RMS that counts as sound; the null sink's silence is zeros
)

// earSink returns the null sink, skipping without it unless NARRATOR_AUDIO_SINK names it.
func earSink(t *testing.T) string {
	t.Helper()
	name, required := os.LookupEnv("NARRATOR_AUDIO_SINK")
	missing := func(why string) {
		t.Helper()
		if required {
			t.Fatalf("spoken-interface audio tests need the null sink %q: %s", name, why)
		}
		t.Skipf("spoken-interface audio tests need a null sink (eval \"$(scripts/audio-sink)\"): %s", why)
	}
	if name == "" {
		missing("NARRATOR_AUDIO_SINK is not set")
	}
	for _, bin := range []string{"parec", "espeak-ng"} {
		if _, err := exec.LookPath(bin); err != nil {
			missing(bin + " not installed")
		}
	}
	t.Setenv("PULSE_SINK", name)
	return name
}

// ear records a sink's monitor, stamping each chunk with its arrival time.
type ear struct {
	mu      sync.Mutex
	samples []int16
	stamps  []struct {
		end int
		at  time.Time
	}
}

func listen(t *testing.T, sink string) *ear {
	t.Helper()
	cmd := exec.Command("parec", "-d", sink+".monitor", "--format=s16le", "--channels=1", fmt.Sprintf("--rate=%d", earRate), "--raw", "--latency-msec=5")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	e := &ear{}
	done := make(chan struct{})
	go func() {
		defer close(done)
		br, buf := bufio.NewReader(out), make([]byte, 2*earWindow)
		for {
			n, err := io.ReadFull(br, buf)
			now := time.Now()
			e.mu.Lock()
			for i := 0; i+1 < n; i += 2 {
				e.samples = append(e.samples, int16(lebinary.LittleEndian.Uint16(buf[i:])))
			}
			e.stamps = append(e.stamps, struct {
				end int
				at  time.Time
			}{len(e.samples), now})
			e.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() { _ = cmd.Process.Kill(); <-done; _ = cmd.Wait() })
	bustest.Eventually(t, 5*time.Second, "parec recording", func() bool { e.mu.Lock(); defer e.mu.Unlock(); return len(e.stamps) > 0 })
	return e
}

// soundBetween is how long, in 10 ms windows, the recording had sound between from and to. A
// sample's time is its chunk's arrival less the samples after it: late, never early, so the
// window is widened by 300 ms at its end.
func (e *ear) soundBetween(from, to time.Time) time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	to = to.Add(300 * time.Millisecond)
	loud, start := 0, 0
	for _, st := range e.stamps {
		for w := start; w+earWindow <= st.end; w += earWindow {
			at := st.at.Add(-time.Duration(st.end-w-earWindow) * time.Second / earRate)
			if at.Before(from) || at.After(to) {
				continue
			}
			var sum float64
			for _, s := range e.samples[w : w+earWindow] {
				sum += float64(s) * float64(s)
			}
			if sum/earWindow > earLoud*earLoud {
				loud++
			}
		}
		start = st.end
	}
	return time.Duration(loud) * 10 * time.Millisecond
}

// speechLog collects the speech events a --json narrator prints.
type speechLog struct {
	mu     sync.Mutex
	events []bus.SpeechEvent
	buf    strings.Builder
}

func (l *speechLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.buf.Write(p)
	for {
		s := l.buf.String()
		i := strings.IndexByte(s, '\n')
		if i < 0 {
			break
		}
		var ev struct {
			Subject string          `json:"subject"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal([]byte(s[:i]), &ev) == nil && ev.Subject == bus.SubjectSpeech {
			var se bus.SpeechEvent
			if json.Unmarshal(ev.Data, &se) == nil {
				l.events = append(l.events, se)
			}
		}
		l.buf.Reset()
		l.buf.WriteString(s[i+1:])
	}
	return len(p), nil
}

// said waits for the utterance whose text contains want to be finished, and returns its
// started and finished events.
func (l *speechLog) said(t *testing.T, want string, timeout time.Duration) (started, finished bus.SpeechEvent) {
	t.Helper()
	bustest.Eventually(t, timeout, "speech of "+want, func() bool {
		l.mu.Lock()
		defer l.mu.Unlock()
		started, finished = bus.SpeechEvent{}, bus.SpeechEvent{}
		for _, e := range l.events {
			if !strings.Contains(e.Text, want) {
				continue
			}
			switch e.State {
			case bus.SpeechStarted:
				started = e
			case bus.SpeechFinished:
				finished = e
			case bus.SpeechDropped, bus.SpeechInterrupted:
				t.Errorf("%q was %s (%s)", e.Text, e.State, e.Reason)
			}
		}
		return finished.ID != ""
	})
	return started, finished
}

// heardSpeech checks that the recording had speech while the utterance played.
func heardSpeech(t *testing.T, e *ear, started, finished bus.SpeechEvent) {
	t.Helper()
	length := finished.At.Sub(started.At)
	if got := e.soundBetween(started.At, finished.At); got < length/3 || got < 200*time.Millisecond {
		t.Errorf("%q played for %s but the sink carried sound for only %s of it", started.Text, length, got)
	}
}

// TestHeardStartupWithoutACameraAndSpokenHelp: with no camera and no model, the spoken start-up
// names the demo scene and the heuristic describer; `ctl help` is answered with the spoken keys.
func TestHeardStartupWithoutACameraAndSpokenHelp(t *testing.T) {
	sink := earSink(t)
	rec := listen(t, sink)
	addr := "127.0.0.1:" + freePort(t)
	var log speechLog
	cmd := exec.Command(binary, "run", "--source", "auto", "--backend", "auto", "--speech", "portaudio", "--rate", "320",
		"--listen", addr, "--json", "--mode", "ondemand")
	cmd.Stdout = &log
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill(); _ = cmd.Wait() })
	for _, want := range []string{"No camera found, so narrating the demo scene instead.", "No model found", "Narrating the demo scene"} {
		started, finished := log.said(t, want, 2*time.Minute)
		if started.Kind != bus.KindAnnouncement || (started.Topic != bus.TopicFallback && started.Topic != bus.TopicStartup) {
			t.Errorf("%q: kind %q topic %q", want, started.Kind, started.Topic)
		}
		heardSpeech(t, rec, started, finished)
	}
	_, finished := log.said(t, "Narrating the demo scene", time.Second)
	if !strings.Contains(finished.Text, "heuristic describer, which is not a model") {
		t.Errorf("the summary %q does not say the describer is not a model", finished.Text)
	}
	var out, errOut lockedBuffer
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := run(ctx, []string{"ctl", "help", "--nats", "nats://" + addr}, &out, &errOut); err != nil {
		t.Fatalf("ctl help: %v", err)
	}
	started, finished := log.said(t, "Keys: space, describe now.", time.Minute)
	if started.Topic != bus.TopicHelp {
		t.Errorf("help topic %q", started.Topic)
	}
	heardSpeech(t, rec, started, finished)
}

// TestHeardDescribeOfAPhoto: describe a PNG with a stand-in model server; the answer is heard,
// and the command exits 0 after its finished event.
func TestHeardDescribeOfAPhoto(t *testing.T) {
	sink := earSink(t)
	rec := listen(t, sink)
	model := servertest.Llama(t, servertest.Options{})
	var log speechLog
	cmd := exec.Command(binary, "describe", "--speech", "portaudio", "--rate", "320", "--json",
		"--backend", "openai", "--openai-url", model.URL, testPNG(t))
	cmd.Stdout = &log
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	waited := make(chan error, 1)
	go func() { waited <- cmd.Wait() }()
	select {
	case err := <-waited:
		if err != nil {
			t.Fatalf("describe: %v\n%s", err, stderr.String())
		}
	case <-time.After(3 * time.Minute): // a hang detector
		_ = cmd.Process.Kill()
		t.Fatalf("describe did not exit\n%s", stderr.String())
	}
	started, finished := log.said(t, servertest.Description, time.Second)
	if started.Kind != bus.KindNarration {
		t.Errorf("the answer's kind is %q", started.Kind)
	}
	heardSpeech(t, rec, started, finished)
}
