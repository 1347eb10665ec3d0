package speech

import (
	"context"
	"math"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// toneSynth is a synthesizer whose "text" is a tone's length in milliseconds ("tone:500").
type toneSynth struct{ rate int }

func (s toneSynth) Name() string { return "tone" }

func (s toneSynth) Synthesize(_ context.Context, text string) (PCM, error) {
	ms, err := strconv.Atoi(strings.TrimPrefix(text, "tone:"))
	if err != nil {
		return PCM{Rate: s.rate, Samples: make([]int16, s.rate/10)}, nil // "ready": silence
	}
	return tone(440, time.Duration(ms)*time.Millisecond, s.rate), nil
}

// tone is a 0.3 full-scale sine.
func tone(hz float64, d time.Duration, rate int) PCM {
	n := int(d.Seconds() * float64(rate))
	p := PCM{Rate: rate, Samples: make([]int16, n)}
	for i := range n {
		p.Samples[i] = int16(0.3 * math.MaxInt16 * math.Sin(2*math.Pi*hz*float64(i)/float64(rate)))
	}
	return p
}

// fakeStream is a StreamPlayer whose output the test drives: it says when each queued clip's
// first and last samples reach the device, and records what was silenced.
type fakeStream struct {
	mu      sync.Mutex
	queued  chan *Playback
	cancels chan *Playback
}

func newFakeStream() *fakeStream {
	return &fakeStream{queued: make(chan *Playback, 16), cancels: make(chan *Playback, 16)}
}

func (f *fakeStream) Queue(p PCM) (*Playback, error) {
	pb := newPlayback(p.Samples, func(pb *Playback, cause error) {
		f.mu.Lock()
		pb.silenced(cause)
		f.mu.Unlock()
		f.cancels <- pb
	})
	f.queued <- pb
	return pb, nil
}

// begin hands over the clip's first sample, due at at.
func (f *fakeStream) begin(pb *Playback, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pb.first = at
	close(pb.began)
}

// hand hands over the clip's last sample, due at at.
func (f *fakeStream) hand(pb *Playback, at time.Time) {
	f.mu.Lock()
	defer f.mu.Unlock()
	pb.last = at
	close(pb.near)
	close(pb.handed)
}

func (f *fakeStream) Play(ctx context.Context, p PCM) error { return playQueued(ctx, f, p) }
func (f *fakeStream) Name() string                          { return "fake stream" }
func (f *fakeStream) Close() error                          { return nil }

func (f *fakeStream) next(t *testing.T) *Playback {
	t.Helper()
	select {
	case pb := <-f.queued:
		return pb
	case <-time.After(5 * time.Second):
		t.Fatal("nothing queued on the output stream")
		return nil
	}
}

func TestStageStampsEventsWithTheOutputsTimes(t *testing.T) {
	out := newFakeStream()
	h := startStage(t, Config{Speaker: &Audio{Synth: toneSynth{rate: 8000}, Player: out}})
	h.say("u1", "tone:100", bus.PriorityNormal, time.Minute)
	pb := out.next(t)
	first := time.Now().Add(30 * time.Millisecond)
	out.begin(pb, first)
	ev := h.expect("u1", bus.SpeechStarted, "")
	if !ev.At.Equal(first) || !ev.SpokenAt.Equal(first) {
		t.Fatalf("started at %s, spoken at %s; want the first sample's due time %s", ev.At, ev.SpokenAt, first)
	}
	if want := float64(first.Sub(ev.CapturedAt).Microseconds()) / 1000; ev.GlassToEarMS != want {
		t.Fatalf("glass to ear %.3f ms, want %.3f", ev.GlassToEarMS, want)
	}
	last := time.Now().Add(40 * time.Millisecond)
	out.hand(pb, last)
	if ev := h.expect("u1", bus.SpeechFinished, ""); !ev.At.Equal(last) {
		t.Fatalf("finished at %s, want the last sample's due time %s", ev.At, last)
	}
}

func TestStageQueuesTheNextClipWhileTheTailSounds(t *testing.T) {
	out := newFakeStream()
	h := startStage(t, Config{Speaker: &Audio{Synth: toneSynth{rate: 8000}, Player: out}})
	h.say("u1", "tone:100", bus.PriorityNormal, time.Minute)
	h.say("u2", "tone:100", bus.PriorityNormal, time.Minute)
	pb1 := out.next(t)
	out.begin(pb1, time.Now())
	h.expect("u1", bus.SpeechStarted, "")
	out.hand(pb1, time.Now().Add(time.Hour)) // all handed over; heard to the end only much later
	pb2 := out.next(t)                       // so the next one is queued behind it now
	// A stop silences the tail still sounding and the clip queued behind it.
	h.control(bus.SpeechStop)
	got := map[string]string{} // the two are silenced at once, in either order
	for range 2 {
		ev := bustest.Next(t, h.events, 5*time.Second)
		got[ev.UtteranceID] = ev.State + " " + ev.Reason
	}
	if got["u1"] != "interrupted stopped" || got["u2"] != "dropped stopped" {
		t.Fatalf("events %v, want u1 interrupted and u2 dropped, both stopped", got)
	}
	cut := map[*Playback]bool{}
	for range 2 {
		select {
		case pb := <-out.cancels:
			cut[pb] = true
		case <-time.After(5 * time.Second):
			t.Fatalf("silenced %d clips, want 2", len(cut))
		}
	}
	if !cut[pb1] || !cut[pb2] {
		t.Fatal("the stop did not silence both clips on the stream")
	}
}

func TestStageUrgentCutsAnOrdinaryTail(t *testing.T) {
	out := newFakeStream()
	h := startStage(t, Config{Speaker: &Audio{Synth: toneSynth{rate: 8000}, Player: out}})
	h.say("u1", "tone:100", bus.PriorityNormal, time.Minute)
	pb1 := out.next(t)
	out.begin(pb1, time.Now())
	h.expect("u1", bus.SpeechStarted, "")
	out.hand(pb1, time.Now().Add(time.Hour))
	h.say("alert", "tone:100", bus.PriorityUrgent, time.Minute)
	h.expect("u1", bus.SpeechInterrupted, bus.ReasonUrgent)
	pb2 := out.next(t)
	out.begin(pb2, time.Now())
	h.expect("alert", bus.SpeechStarted, "")
}
