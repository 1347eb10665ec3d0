//go:build cgo

package speech

import (
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// pulseCommand runs a PulseAudio command line tool, failing the test when it fails.
func pulseCommand(t *testing.T, name string, args ...string) string {
	t.Helper()
	out, err := exec.Command(name, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("%s %v: %v\n%s", name, args, err, out)
	}
	return string(out)
}

// ownSinkInputs are the PulseAudio streams this process plays (PortAudio's, through the ALSA
// pulse plugin), from `pactl list sink-inputs`.
func ownSinkInputs(t *testing.T) []string {
	t.Helper()
	var ids []string
	cur := ""
	for l := range strings.Lines(pulseCommand(t, "pactl", "list", "sink-inputs")) {
		l = strings.TrimSpace(l)
		if after, ok := strings.CutPrefix(l, "Sink Input #"); ok {
			cur = after
		}
		if l == `application.process.id = "`+strconv.Itoa(os.Getpid())+`"` {
			ids = append(ids, cur)
		}
	}
	return ids
}

// sinkModule is the index of the module that made the null sink called sink.
func sinkModule(t *testing.T, sink string) string {
	t.Helper()
	for l := range strings.Lines(pulseCommand(t, "pactl", "list", "short", "modules")) {
		f := strings.Fields(l)
		if len(f) >= 3 && f[1] == "module-null-sink" && f[2] == "sink_name="+sink {
			return f[0]
		}
	}
	t.Fatalf("no module-null-sink for %s", sink)
	return ""
}

// TestFailoverRealDeviceGoneAndBack plays real speech through PortAudio into the test's own
// null sink; the sound server then drops the stream (`pacmd kill-sink-input`, the stream error
// a device that goes away gives) and the sink is unloaded. Speech moves to printed text, saying
// so there, and prints what the audio left unsaid; while the sink is gone every probe fails.
// When the sink is loaded again, speech moves back and "Speech output is back." is heard on it.
func TestFailoverRealDeviceGoneAndBack(t *testing.T) {
	// The test unloads its sink: a sink of its own, so that other packages' tests recording the
	// shared one at the same time (go test runs packages in parallel) are not silenced.
	sink := audioSink(t) + "_failover"
	pulseCommand(t, "pactl", "load-module", "module-null-sink", "sink_name="+sink)
	t.Cleanup(func() { pulseCommand(t, "pactl", "unload-module", sinkModule(t, sink)) }) // runs last: the sink as reloaded
	t.Setenv("PULSE_SINK", sink)
	if _, err := exec.LookPath("pacmd"); err != nil {
		t.Skip("pacmd not installed (pulseaudio)")
	}
	audio := openTestAudio(t)
	audio.Earcons = false
	var printed bustest.SyncBuffer
	f := NewFailover(audio, NewText(&printed))
	var logs bustest.SyncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stage log:\n%s", logs.String())
		}
	})
	h := startStage(t, Config{Speaker: f, RecoverFirst: 200 * time.Millisecond, RecoverLimit: 400 * time.Millisecond, Logger: slogTo(&logs)})
	if err := audio.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	long := "This is a long sentence that keeps the output busy for several seconds, so that the stream can be broken while it plays, and then some more words after that."
	h.say("n1", long, bus.PriorityNormal, time.Minute)
	started := bustest.Next(t, h.events, 30*time.Second)
	if started.State != bus.SpeechStarted || started.Backend != audio.Name() {
		t.Fatalf("first event %+v, want started on %s", started, audio.Name())
	}
	var streams []string
	bustest.Eventually(t, 10*time.Second, "this process's stream on the sink", func() bool { streams = ownSinkInputs(t); return len(streams) > 0 })
	module := sinkModule(t, sink)
	killed := time.Now()
	for _, id := range streams {
		pulseCommand(t, "pacmd", "kill-sink-input", id)
	}
	pulseCommand(t, "pactl", "unload-module", module)
	reloaded := false
	t.Cleanup(func() {
		if !reloaded {
			_ = exec.Command("pactl", "load-module", "module-null-sink", "sink_name="+sink).Run()
		}
	})

	switched := announce.Make(announce.SpeechToText).Text
	evs := collectUntil(t, h, "the switch and the unsaid sentence printed", func(evs []bus.SpeechEvent) bool {
		_, a := finishedText(evs, switched)
		_, b := finishedText(evs, long)
		return a && b
	})
	for _, e := range evs {
		if e.State == bus.SpeechDropped || e.State == bus.SpeechInterrupted {
			t.Errorf("%q was %s (%s)", e.Text, e.State, e.Reason)
		}
		if e.Text == switched && e.State == bus.SpeechStarted {
			t.Logf("stream dropped %s after the sentence started; the switch printed %s after that (the sentence's remaining audio plus the 2 s stall grace)",
				killed.Sub(started.At).Round(time.Millisecond), e.At.Sub(killed).Round(time.Millisecond))
		}
	}
	if got, want := printed.String(), "» "+switched+"\n» "+long+"\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	if h.stage.failovers.Load() != 1 {
		t.Errorf("failovers %d, want 1", h.stage.failovers.Load())
	}
	probed := f.Probes()
	bustest.Eventually(t, time.Minute, "probes while the sink is gone", func() bool { return f.Probes() >= probed+3 })
	if h.stage.recovered.Load() != 0 || f.Name() != "text" {
		t.Fatalf("recovered %d, output %s, while the sink is gone", h.stage.recovered.Load(), f.Name())
	}

	pulseCommand(t, "pactl", "load-module", "module-null-sink", "sink_name="+sink)
	loaded := time.Now()
	reloaded = true
	rec := record(t, sink)
	back := announce.Make(announce.SpeechBack).Text
	// Back on the audio: "Speech output is back." said to its end there. (A stream opened at the
	// moment the sink comes back has been seen to stall once, under load; speech then moves to
	// text and back a second time, which is what the user hears too.)
	var from, to time.Time
	collectUntil(t, h, "back said on the audio", func(evs []bus.SpeechEvent) bool {
		for _, e := range evs {
			if e.Text == back && e.State == bus.SpeechStarted && e.Backend == audio.Name() {
				from = e.At
			}
			if e.Text == back && e.State == bus.SpeechFinished && e.Backend == audio.Name() {
				to = e.At
				return true
			}
		}
		return false
	})
	t.Logf("sink loaded again; %q started on it %s later (probes every 400 ms here); recoveries %d", back, from.Sub(loaded).Round(time.Millisecond), h.stage.recovered.Load())
	// Nothing else plays into the test's sink: sound around the announcement's start and end
	// (widened for a stream that has just opened, whose times are estimates) is the announcement.
	rec.waitUntil(t, to.Add(time.Second))
	if n := len(rec.loudWindows(from.Add(-500*time.Millisecond), to.Add(500*time.Millisecond))); n < 10 {
		t.Errorf("%q: only %d loud 10 ms windows on the sink", back, n)
	}
	if h.stage.recovered.Load() < 1 || f.Name() != audio.Name() {
		t.Errorf("recovered %d, output %s; want back on %s", h.stage.recovered.Load(), f.Name(), audio.Name())
	}
}

// TestFailoverRealSynthesizerDies: espeak-ng is killed (SIGKILL) on every run while a flag
// file exists, as a synthesizer that crashes does. The utterance it could not synthesize is
// printed after "Speech output failed, so speech is printed instead.", every probe fails while
// it keeps dying, and once it works again speech moves back to the audio, where "Speech output
// is back." is heard.
func TestFailoverRealSynthesizerDies(t *testing.T) {
	sink := audioSink(t)
	rec := record(t, sink)
	real := needESpeak(t)
	bin, err := exec.LookPath(real.Binary)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	die := dir + "/die"
	wrapper := dir + "/espeak-ng"
	script := "#!/bin/sh\n[ -e " + die + " ] && kill -KILL $$\nexec " + bin + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	audio := openTestAudio(t)
	audio.Earcons = false
	audio.Synth = &ESpeak{Binary: wrapper, Voice: real.Voice, Rate: 320}
	var printed bustest.SyncBuffer
	f := NewFailover(audio, NewText(&printed))
	h := startStage(t, Config{Speaker: f, RecoverFirst: 100 * time.Millisecond, RecoverLimit: 200 * time.Millisecond})
	if err := audio.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	h.say("n1", "A red cup.", bus.PriorityNormal, time.Minute)
	collectUntil(t, h, "said on the audio", func(evs []bus.SpeechEvent) bool { _, ok := finishedText(evs, "A red cup."); return ok })

	if err := os.WriteFile(die, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	h.say("n2", "A blue cup.", bus.PriorityNormal, time.Minute)
	switched := announce.Make(announce.SpeechToText).Text
	collectUntil(t, h, "printed instead", func(evs []bus.SpeechEvent) bool {
		_, a := finishedText(evs, switched)
		_, b := finishedText(evs, "A blue cup.")
		return a && b
	})
	if got, want := printed.String(), "» "+switched+"\n» A blue cup.\n"; got != want {
		t.Errorf("printed %q, want %q", got, want)
	}
	probed := f.Probes()
	bustest.Eventually(t, time.Minute, "probes while espeak-ng keeps dying", func() bool { return f.Probes() >= probed+3 })
	if h.stage.recovered.Load() != 0 {
		t.Fatal("recovered while espeak-ng keeps dying")
	}

	if err := os.Remove(die); err != nil {
		t.Fatal(err)
	}
	back := announce.Make(announce.SpeechBack).Text
	evs := collectUntil(t, h, "back said on the audio", func(evs []bus.SpeechEvent) bool { _, ok := finishedText(evs, back); return ok })
	var from, to time.Time
	for _, e := range evs {
		switch {
		case e.Text == back && e.State == bus.SpeechStarted:
			from = e.At
		case e.Text == back && e.State == bus.SpeechFinished:
			to = e.At
		}
	}
	// Nothing else plays into the test's sink: sound around the announcement's start and end
	// (widened for a stream that has just opened, whose times are estimates) is the announcement.
	rec.waitUntil(t, to.Add(time.Second))
	if n := len(rec.loudWindows(from.Add(-500*time.Millisecond), to.Add(500*time.Millisecond))); n < 10 {
		t.Errorf("%q: only %d loud 10 ms windows on the sink", back, n)
	}
	if h.stage.failovers.Load() != 1 || h.stage.recovered.Load() != 1 {
		t.Errorf("failovers %d recovered %d, want 1 and 1", h.stage.failovers.Load(), h.stage.recovered.Load())
	}
}

// TestFailoverRealStreamDroppedSinkStays: the sound server drops this process's stream (`pacmd
// kill-sink-input`) while the sink stays. Speech moves to printed text and, once a probe plays
// again, back to the audio, where it must then stay: the next utterances are heard on the sink
// with no further switch. (Streams reopened in the same PortAudio session used to stall again
// 2–3 s into speech, so speech moved between audio and text every few seconds.)
func TestFailoverRealStreamDroppedSinkStays(t *testing.T) {
	if _, err := exec.LookPath("pacmd"); err != nil {
		t.Skip("pacmd not installed (pulseaudio)")
	}
	sink := audioSink(t) + "_dropped"
	pulseCommand(t, "pactl", "load-module", "module-null-sink", "sink_name="+sink)
	t.Cleanup(func() { pulseCommand(t, "pactl", "unload-module", sinkModule(t, sink)) })
	t.Setenv("PULSE_SINK", sink)
	audio := openTestAudio(t)
	audio.Earcons = false
	f := NewFailover(audio, NewText(&bustest.SyncBuffer{}))
	var logs bustest.SyncBuffer
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("stage log:\n%s", logs.String())
		}
	})
	h := startStage(t, Config{Speaker: f, RecoverFirst: 200 * time.Millisecond, RecoverLimit: 400 * time.Millisecond, Logger: slogTo(&logs)})
	if err := audio.Check(t.Context()); err != nil {
		t.Fatal(err)
	}
	long := "This sentence keeps the output busy for a few seconds, so that the stream can be dropped while it plays."
	h.say("n1", long, bus.PriorityNormal, time.Minute)
	if started := bustest.Next(t, h.events, 30*time.Second); started.State != bus.SpeechStarted {
		t.Fatalf("first event %+v, want started", started)
	}
	var streams []string
	bustest.Eventually(t, 10*time.Second, "this process's stream on the sink", func() bool { streams = ownSinkInputs(t); return len(streams) > 0 })
	for _, id := range streams {
		pulseCommand(t, "pacmd", "kill-sink-input", id)
	}
	back := announce.Make(announce.SpeechBack).Text
	collectUntil(t, h, "back on the audio", func(evs []bus.SpeechEvent) bool {
		_, ok := finishedText(evs, back)
		return ok && f.Name() == audio.Name()
	})
	switches := h.stage.failovers.Load()

	// Back on the audio: three sentences of several seconds each are said there, to their end,
	// and heard; the output does not fail again.
	rec := record(t, sink)
	for i := range 3 {
		id := "after" + strconv.Itoa(i)
		h.say(id, "Sentence "+strconv.Itoa(i+1)+" after the stream came back: "+long, bus.PriorityNormal, time.Minute)
		var start, end bus.SpeechEvent
		collectUntil(t, h, id+" said", func(evs []bus.SpeechEvent) bool {
			for _, e := range evs {
				if e.UtteranceID == id && e.State == bus.SpeechStarted {
					start = e
				}
				if e.UtteranceID == id && e.State != bus.SpeechStarted {
					end = e
					return true
				}
			}
			return false
		})
		if end.State != bus.SpeechFinished || end.Backend != audio.Name() {
			t.Fatalf("%s: %s on %s (%s), want finished on %s", id, end.State, end.Backend, end.Reason, audio.Name())
		}
		rec.waitUntil(t, end.At.Add(300*time.Millisecond))
		if n := len(rec.loudWindows(start.At, end.At)); n < 100 {
			t.Errorf("%s: only %d loud 10 ms windows heard in its %s", id, n, end.At.Sub(start.At).Round(time.Millisecond))
		}
	}
	if got := h.stage.failovers.Load(); got != switches {
		t.Errorf("the output failed again after it came back: %d switches to text, want %d", got, switches)
	}
}
