//go:build cgo

package speech

import (
	"bufio"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// The end-to-end audio tests play real espeak-ng speech through PortAudio into a PulseAudio null
// sink and record the sink's monitor with parec. They need the sink that scripts/audio-sink
// starts: they skip without it, unless NARRATOR_AUDIO_SINK names it (scripts/test sets it),
// in which case a missing sink fails them.

const (
	recRate = 16000 // parec's recording rate
	window  = recRate / 100
	// loud is the 10 ms window RMS that counts as sound; the null sink's silence is exact zeros.
	loud = 30
	// interruptBudget is how soon after a stop command the audio must end.
	interruptBudget = 30 * time.Millisecond
	// measureTolerance covers how late a sample's wall time is estimated: parec's capture
	// latency (requested 5 ms, a PulseAudio fragment in practice) and the null sink's render
	// blocks, which make a sample look later than it was played, never earlier.
	measureTolerance = 40 * time.Millisecond
)

// audioSink returns the null sink to play into, skipping (or failing, when required) without it.
func audioSink(t testing.TB) string {
	t.Helper()
	name, required := os.LookupEnv("NARRATOR_AUDIO_SINK")
	if name == "" {
		name = "narrator_test"
	}
	missing := func(why string) {
		t.Helper()
		msg := fmt.Sprintf("audio tests need the PulseAudio null sink %q (start it with `eval \"$(scripts/audio-sink)\"`) and PortAudio: %s", name, why)
		if required {
			t.Fatal(msg)
		}
		t.Skip(msg)
	}
	if err := checkptrGuard(); err != nil {
		missing(err.Error())
	}
	if _, err := exec.LookPath("parec"); err != nil {
		missing("parec not installed")
	}
	out, err := exec.Command("pactl", "list", "short", "sinks").Output()
	if err != nil {
		missing("pactl: " + err.Error())
	}
	found := false
	for line := range strings.Lines(string(out)) {
		if f := strings.Fields(line); len(f) > 1 && f[1] == name {
			found = true
		}
	}
	if !found {
		missing("not among PulseAudio's sinks")
	}
	t.Setenv("PULSE_SINK", name)
	return name
}

// recorder records a sink's monitor and stamps each chunk with its arrival time.
type recorder struct {
	cmd  *exec.Cmd
	done chan struct{}

	mu      sync.Mutex
	samples []int16
	stamps  []stamp
}

// stamp says that samples before end had arrived at at.
type stamp struct {
	end int
	at  time.Time
}

func record(t testing.TB, sink string) *recorder {
	t.Helper()
	args := []string{"-d", sink + ".monitor", "--format=s16le", "--channels=1", fmt.Sprintf("--rate=%d", recRate), "--raw"}
	// NARRATOR_REC_LATENCY_MS sets the latency parec asks for (default 5 ms); "0" leaves it to
	// PulseAudio, so the sink runs at whatever latency the player asks for, as a real sound
	// card's would.
	lat := os.Getenv("NARRATOR_REC_LATENCY_MS")
	if lat == "" {
		lat = "5"
	}
	if lat != "0" {
		args = append(args, "--latency-msec="+lat)
	}
	cmd := exec.Command("parec", args...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &recorder{cmd: cmd, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		br := bufio.NewReader(out)
		buf := make([]byte, 2*window)
		for {
			n, err := io.ReadFull(br, buf)
			now := time.Now()
			r.mu.Lock()
			for i := 0; i+1 < n; i += 2 {
				r.samples = append(r.samples, int16(binary.LittleEndian.Uint16(buf[i:])))
			}
			r.stamps = append(r.stamps, stamp{len(r.samples), now})
			r.mu.Unlock()
			if err != nil {
				return
			}
		}
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-r.done
		cmd.Wait()
	})
	bustest.Eventually(t, 5*time.Second, "parec recording", func() bool { return r.upTo().After(time.Time{}) })
	return r
}

// upTo is the wall time up to which the recording is complete.
func (r *recorder) upTo() time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.stamps) == 0 {
		return time.Time{}
	}
	return r.stamps[len(r.stamps)-1].at
}

// waitUntil waits until the recording covers wall time at.
func (r *recorder) waitUntil(t testing.TB, at time.Time) {
	t.Helper()
	bustest.Eventually(t, 10*time.Second, "recording to reach "+at.Format("15:04:05.000"), func() bool { return !r.upTo().Before(at) })
}

// loudWindows returns the estimated wall times of the 10 ms windows with sound between from and to.
func (r *recorder) loudWindows(from, to time.Time) []time.Time {
	r.mu.Lock()
	defer r.mu.Unlock()
	var out []time.Time
	prevEnd := 0
	for k, st := range r.stamps {
		for w := prevEnd; w+window <= st.end; w += window {
			at := r.sampleTime(k, w+window)
			if at.Before(from) || at.After(to) {
				continue
			}
			if rms(r.samples[w:w+window]) > loud {
				out = append(out, at)
			}
		}
		prevEnd = st.end
	}
	return out
}

// lookahead is how many later chunks bound a sample's time (about 200 ms of recording).
const lookahead = 20

// sampleTime estimates when sample i (in chunk k) was played. Every chunk that arrived at or
// after it bounds that from above, since the monitor delivers samples continuously at recRate:
// sample i was played no later than chunk j's arrival minus the samples between them. Taking the
// smallest bound over the next chunks discards a late read by the test's own goroutine (a busy
// machine, the race detector), which would otherwise make silence look late.
func (r *recorder) sampleTime(k, i int) time.Time {
	var best time.Time
	for j := k; j < len(r.stamps) && j <= k+lookahead; j++ {
		at := r.stamps[j].at.Add(-time.Duration(r.stamps[j].end-i) * time.Second / recRate)
		if best.IsZero() || at.Before(best) {
			best = at
		}
	}
	return best
}

func openTestAudio(t testing.TB) *Audio {
	t.Helper()
	synth := needESpeak(t)
	player, err := OpenPortAudio(os.Getenv("NARRATOR_AUDIO_DEVICE"), 1)
	if err != nil {
		t.Fatal(err)
	}
	return &Audio{Synth: synth, Player: player, Earcons: true}
}

func TestAudioEndToEnd(t *testing.T) {
	sink := audioSink(t)
	rec := record(t, sink)
	audio := openTestAudio(t)

	// The start-up check plays the ready earcon: it must be heard.
	before := time.Now()
	if err := audio.Check(context.Background()); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	rec.waitUntil(t, after.Add(200*time.Millisecond))
	if len(rec.loudWindows(before, after.Add(200*time.Millisecond))) == 0 {
		t.Fatal("the ready earcon was not heard in the sink")
	}

	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "test")
	events := bustest.Collect[bus.SpeechEvent](t, pub, bus.SubjectSpeech, 16)
	stage, err := New(bustest.Conn(t, srv, "speech"), Config{Speaker: audio, Logger: quiet})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stage.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	say := func(id, text string, notAfter time.Duration) {
		t.Helper()
		now := time.Now().UTC()
		if err := pub.PublishEvent(bus.SubjectUtterances, bus.Utterance{ID: id, Camera: "cam0", Text: text, Priority: bus.PriorityNormal, CapturedAt: now, CreatedAt: now, NotAfter: now.Add(notAfter)}); err != nil {
			t.Fatal(err)
		}
	}
	expect := func(id, state string) bus.SpeechEvent {
		t.Helper()
		ev := bustest.Next(t, events, 10*time.Second)
		if ev.UtteranceID != id || ev.State != state {
			t.Fatalf("event %s %s %q, want %s %s", ev.UtteranceID, ev.State, ev.Reason, id, state)
		}
		return ev
	}

	// Speech is heard where expected: after started, while it plays.
	say("long", "The quick brown fox jumps over the lazy dog, then walks slowly along the river bank until evening falls.", time.Minute)
	started := expect("long", bus.SpeechStarted)
	spokeAt := started.At
	rec.waitUntil(t, spokeAt.Add(700*time.Millisecond))
	if len(rec.loudWindows(spokeAt, spokeAt.Add(700*time.Millisecond))) < 10 {
		t.Fatal("no speech energy in the sink during the first 700 ms of the utterance")
	}
	if early := rec.loudWindows(after.Add(200*time.Millisecond), spokeAt); len(early) > 0 {
		t.Fatalf("sound %s before the utterance started", spokeAt.Sub(early[0]))
	}

	// A stop command silences it within the budget.
	stopAt := time.Now()
	if err := pub.PublishEvent(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: bus.SpeechStop, At: stopAt.UTC()}); err != nil {
		t.Fatal(err)
	}
	ev := expect("long", bus.SpeechInterrupted)
	if ev.Reason != bus.ReasonStopped {
		t.Fatalf("interrupted for %q", ev.Reason)
	}
	t.Logf("interrupted event stamped %.1f ms after the stop command", float64(ev.At.Sub(stopAt).Microseconds())/1000)
	rec.waitUntil(t, stopAt.Add(500*time.Millisecond))
	heard := rec.loudWindows(spokeAt, stopAt.Add(500*time.Millisecond))
	if len(heard) == 0 {
		t.Fatal("nothing heard at all")
	}
	last := heard[len(heard)-1]
	t.Logf("last sound %.1f ms after the stop command (budget %s + measurement tolerance %s)",
		float64(last.Sub(stopAt).Microseconds())/1000, interruptBudget, measureTolerance)
	if last.After(stopAt.Add(interruptBudget + measureTolerance)) {
		t.Fatalf("sound went on %s after the stop command", last.Sub(stopAt))
	}

	// A dropped utterance makes no sound.
	dropFrom := time.Now()
	say("stale", "This should never be heard.", -time.Second)
	if ev := expect("stale", bus.SpeechDropped); ev.Reason != bus.ReasonStale {
		t.Fatalf("dropped for %q", ev.Reason)
	}
	rec.waitUntil(t, dropFrom.Add(700*time.Millisecond))
	if s := rec.loudWindows(dropFrom, dropFrom.Add(700*time.Millisecond)); len(s) > 0 {
		t.Fatalf("sound %s after a dropped utterance", s[0].Sub(dropFrom))
	}

	// And the sink still hears the next one.
	say("short", "Done.", time.Minute)
	ev = expect("short", bus.SpeechStarted)
	expect("short", bus.SpeechFinished)
	rec.waitUntil(t, time.Now().Add(100*time.Millisecond))
	if len(rec.loudWindows(ev.At, time.Now())) == 0 {
		t.Fatal("the last utterance was not heard")
	}
}

func TestPortAudioUnknownDevice(t *testing.T) {
	audioSink(t)
	_, err := OpenPortAudio("no such device 42", 1)
	if err == nil || !strings.Contains(err.Error(), `no output device called "no such device 42"`) {
		t.Fatalf("err %v", err)
	}
}

func TestOutputDevicesListsTheSinkRoute(t *testing.T) {
	audioSink(t)
	devs, err := OutputDevices()
	if err != nil {
		t.Fatal(err)
	}
	names := make([]string, len(devs))
	hasDefault := false
	for i, d := range devs {
		names[i] = d.Name
		hasDefault = hasDefault || d.Default
	}
	if !slices.Contains(names, "pulse") || !hasDefault {
		t.Fatalf("outputs %q (a default: %v), want the ALSA pulse device and a default", names, hasDefault)
	}
}

func TestPortAudioInterruptReturnsCause(t *testing.T) {
	// A null sink nobody records from runs with 2 s of latency; the recorder keeps it low.
	record(t, audioSink(t))
	p, err := OpenPortAudio("", 0.5)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	ctx, cancel := context.WithCancelCause(context.Background())
	first := make(chan struct{})
	var once sync.Once
	p.onFirstSample = func() { once.Do(func() { close(first) }) }
	done := make(chan error, 1)
	go func() { done <- p.Play(ctx, EarconPCM(EarconCameraLost, 22050)) }()
	<-first
	stop := errors.New("stop")
	cancel(stop)
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("Play returned %v", err)
	}
	// The stream plays again after an abort.
	if err := p.Play(context.Background(), EarconPCM(EarconThinking, 22050)); err != nil {
		t.Fatal(err)
	}
}

// BenchmarkUtteranceToFirstSample is the time from publishing an utterance on the bus to the
// speech stage handing its first sample to PortAudio, for each synthesizer available here. Each
// utterance is then stopped, so the next one starts from idle.
func BenchmarkUtteranceToFirstSample(b *testing.B) {
	record(b, audioSink(b))
	for _, synth := range availableSynths(b) {
		b.Run(synth.Name(), func(b *testing.B) {
			player, err := OpenPortAudio(os.Getenv("NARRATOR_AUDIO_DEVICE"), 1)
			if err != nil {
				b.Fatal(err)
			}
			first := make(chan time.Time, 1)
			player.onFirstSample = func() {
				select {
				case first <- time.Now():
				default:
				}
			}
			srv := bustest.Server(b)
			pub := bustest.Conn(b, srv, "bench")
			events := bustest.Collect[bus.SpeechEvent](b, pub, bus.SubjectSpeech, 16)
			stage, err := New(bustest.Conn(b, srv, "speech"), Config{Speaker: &Audio{Synth: synth, Player: player}, Logger: quiet})
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			done := make(chan error, 1)
			go func() { done <- stage.Run(ctx) }()
			defer func() { cancel(); <-done }()
			var total time.Duration
			n := 0
			for b.Loop() {
				now := time.Now().UTC()
				if err := pub.PublishEvent(bus.SubjectUtterances, bus.Utterance{ID: bus.NewID(), Text: benchSentence, Priority: bus.PriorityNormal, CapturedAt: now, NotAfter: now.Add(time.Minute)}); err != nil {
					b.Fatal(err)
				}
				select {
				case at := <-first:
					total += at.Sub(now)
					n++
				case <-time.After(10 * time.Second):
					b.Fatal("no audio within 10s")
				}
				if err := pub.PublishEvent(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: bus.SpeechStop}); err != nil {
					b.Fatal(err)
				}
				for ev := bustest.Next(b, events, 10*time.Second); ev.State != bus.SpeechInterrupted; ev = bustest.Next(b, events, 10*time.Second) {
				}
			}
			b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms-to-first-sample")
		})
	}
}

// BenchmarkInterrupt is the time from silencing a playing clip (its context ending) to
// PortAudio having aborted the stream and Play returning.
func BenchmarkInterrupt(b *testing.B) {
	record(b, audioSink(b))
	p, err := OpenPortAudio(os.Getenv("NARRATOR_AUDIO_DEVICE"), 1)
	if err != nil {
		b.Fatal(err)
	}
	defer p.Close()
	first := make(chan struct{}, 1)
	p.onFirstSample = func() {
		select {
		case first <- struct{}{}:
		default:
		}
	}
	long := EarconPCM(EarconCameraLost, 22050)
	long.Samples = slices.Repeat(long.Samples, 20) // 5 s
	var total time.Duration
	n := 0
	for b.Loop() {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan time.Time, 1)
		go func() { p.Play(ctx, long); done <- time.Now() }()
		<-first
		at := time.Now()
		cancel()
		total += (<-done).Sub(at)
		n++
	}
	b.ReportMetric(float64(total.Microseconds())/1000/float64(n), "ms-to-silence")
}
