//go:build cgo

package speech

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// The stream benchmarks play through the whole speech stage and PortAudio into the null sink
// while parec records it, and measure on the recording. The utterances are pure tones from
// toneSynth, so every 10 ms window of an utterance is loud and the words' own pauses cannot be
// mistaken for gaps: what they measure is the output path, not the synthesizer.

// streamBench runs a speech stage with earcons on over a tone synthesizer and PortAudio.
type streamBench struct {
	b      *testing.B
	rec    *recorder
	pub    *bus.Conn
	events *bus.Queue[bus.SpeechEvent]
	player *PortAudio
}

func newStreamBench(b *testing.B) *streamBench {
	sink := audioSink(b)
	rec := record(b, sink)
	player, err := OpenPortAudio(os.Getenv("NARRATOR_AUDIO_DEVICE"), 1)
	if err != nil {
		b.Fatal(err)
	}
	audio := &Audio{Synth: toneSynth{rate: 22050}, Player: player, Earcons: true}
	if err := audio.Check(context.Background()); err != nil {
		b.Fatal(err)
	}
	srv := bustest.Server(b)
	pub := bustest.Conn(b, srv, "bench")
	sb := &streamBench{b: b, rec: rec, pub: pub, events: bustest.Collect[bus.SpeechEvent](b, pub, bus.SubjectSpeech, 64), player: player}
	// A new-scene ping for every changed frame (the default rule allows one every 5 s).
	rules := []EarconRule{{Subject: bus.AllFrames, Earcon: EarconNewScene, Match: func(m bus.Message) (string, bool) {
		return "", m.FrameErr == nil && m.Frame.Reason == bus.FrameChanged
	}}}
	stage, err := New(bustest.Conn(b, srv, "speech"), Config{Speaker: audio, Earcons: true, EarconRules: rules, Logger: quiet})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- stage.Run(ctx) }()
	b.Cleanup(func() { cancel(); <-done })
	return sb
}

func (sb *streamBench) say(id string, length time.Duration, captured time.Time) {
	sb.b.Helper()
	u := bus.Utterance{ID: id, Camera: "cam0", Text: fmt.Sprintf("tone:%d", length.Milliseconds()), Priority: bus.PriorityNormal,
		CapturedAt: captured.UTC(), CreatedAt: time.Now().UTC(), NotAfter: time.Now().Add(time.Minute).UTC()}
	if err := sb.pub.PublishEvent(bus.SubjectUtterances, u); err != nil {
		sb.b.Fatal(err)
	}
}

// until waits for the speech event of utterance id in state.
func (sb *streamBench) until(id, state string) bus.SpeechEvent {
	sb.b.Helper()
	for {
		ev := bustest.Next(sb.b, sb.events, 15*time.Second)
		if ev.UtteranceID == id && ev.State == state {
			return ev
		}
	}
}

// span is the first and the end of the last loud window recorded between from and to.
func (sb *streamBench) span(from, to time.Time) (first, end time.Time) {
	sb.b.Helper()
	sb.rec.waitUntil(sb.b, to)
	loud := sb.rec.loudWindows(from, to)
	if len(loud) == 0 {
		sb.b.Fatal("nothing recorded")
	}
	return loud[0].Add(-time.Second * window / recRate), loud[len(loud)-1]
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// BenchmarkStreamEarconThenUtterance: a scene change plays the new-scene earcon and its
// utterance right after. Metrics: how much longer the earcon and utterance took than their
// own lengths (target ≤ 30 ms), glass to ear as recorded and as reported in the started event,
// and how far the finished event is from the utterance's last recorded sample (target ≤ 50 ms).
func BenchmarkStreamEarconThenUtterance(b *testing.B) {
	sb := newStreamBench(b)
	const utterance = 500 * time.Millisecond
	earcon := EarconPCM(EarconNewScene, 22050).Duration()
	var extra, g2eHeard, g2eReported, finishSpread, worstSpread time.Duration
	n := 0
	for b.Loop() {
		id := bus.NewID()
		captured := time.Now()
		frame := bus.Frame{ID: id, Camera: "cam0", Seq: uint64(n + 1), CapturedAt: captured.UTC(), Width: 1, Height: 1, Reason: bus.FrameChanged, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
		if err := sb.pub.PublishFrame(frame); err != nil {
			b.Fatal(err)
		}
		sb.say(id, utterance, captured)
		started := sb.until(id, bus.SpeechStarted)
		finished := sb.until(id, bus.SpeechFinished)
		first, end := sb.span(captured, finished.At.Add(300*time.Millisecond))
		extra += end.Sub(first) - earcon - utterance
		g2eHeard += end.Add(-utterance).Sub(captured)
		g2eReported += time.Duration(started.GlassToEarMS * float64(time.Millisecond))
		spread := finished.At.Sub(end)
		finishSpread += spread
		worstSpread = max(worstSpread, spread.Abs())
		n++
		time.Sleep(300 * time.Millisecond) // let the sink fall silent between runs
	}
	b.ReportMetric(ms(extra)/float64(n), "ms-beyond-earcon+utterance")
	b.ReportMetric(ms(g2eHeard)/float64(n), "ms-glass-to-ear-heard")
	b.ReportMetric(ms(g2eReported)/float64(n), "ms-glass-to-ear-reported")
	b.ReportMetric(ms(finishSpread)/float64(n), "ms-finished-minus-last-sample")
	b.ReportMetric(ms(worstSpread), "ms-worst-finished-spread")
	b.ReportMetric(float64(sb.player.Underflows()), "underflows")
}

// BenchmarkStreamGapBetweenUtterances: two utterances queued at once; the metric is the silence
// between them in the recording (target ≤ 50 ms).
func BenchmarkStreamGapBetweenUtterances(b *testing.B) {
	sb := newStreamBench(b)
	const each = 300 * time.Millisecond
	var gap, worst time.Duration
	n := 0
	for b.Loop() {
		at := time.Now()
		a, c := bus.NewID(), bus.NewID()
		sb.say(a, each, at)
		sb.say(c, each, at)
		finished := sb.until(c, bus.SpeechFinished)
		first, end := sb.span(at, finished.At.Add(300*time.Millisecond))
		g := end.Sub(first) - 2*each
		gap += g
		worst = max(worst, g)
		n++
		time.Sleep(300 * time.Millisecond)
	}
	b.ReportMetric(ms(gap)/float64(n), "ms-gap")
	b.ReportMetric(ms(worst), "ms-worst-gap")
	b.ReportMetric(float64(sb.player.Underflows()), "underflows")
}

// BenchmarkStreamStopToSilence: a stop command while an utterance plays; the metric is the
// time from publishing the command to the last loud window recorded (target ≤ 30 ms; an upper
// bound, since parec's capture latency makes sound look later, never earlier).
func BenchmarkStreamStopToSilence(b *testing.B) {
	sb := newStreamBench(b)
	var total, worst time.Duration
	n := 0
	for b.Loop() {
		id := bus.NewID()
		sb.say(id, 3*time.Second, time.Now())
		started := sb.until(id, bus.SpeechStarted)
		sb.rec.waitUntil(b, started.At.Add(300*time.Millisecond))
		stop := time.Now()
		if err := sb.pub.PublishEvent(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: bus.SpeechStop, At: stop.UTC()}); err != nil {
			b.Fatal(err)
		}
		sb.until(id, bus.SpeechInterrupted)
		_, end := sb.span(started.At, stop.Add(500*time.Millisecond))
		d := end.Sub(stop)
		total += d
		worst = max(worst, d)
		n++
		time.Sleep(300 * time.Millisecond)
	}
	b.ReportMetric(ms(total)/float64(n), "ms-stop-to-silence")
	b.ReportMetric(ms(worst), "ms-worst-stop-to-silence")
	b.ReportMetric(float64(sb.player.Underflows()), "underflows")
}
