package bus_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// BenchmarkHistoryPerDescription measures what keeping the history costs per description: the
// events one spoken description causes (the final description, its decision and utterance, and
// the speech started and finished events) written to the stream, three of them also to the
// latest bucket, on an embedded server with its file store. An op is one description, from
// publishing its events to the recorder having written them all.
func BenchmarkHistoryPerDescription(b *testing.B) {
	srv := bustest.ServerWith(b, bus.ServerConfig{StoreDir: b.TempDir()})
	pub := bustest.Conn(b, srv, "pub")
	counters := bus.NewCounters()
	r, err := bus.NewRecorder(bustest.Conn(b, srv, "recorder"), bus.RecorderConfig{Counters: counters})
	if err != nil {
		b.Fatal(err)
	}
	bustest.Run(b, r)
	if err := r.Err(); err != nil {
		b.Fatal(err)
	}
	recorded := counters.Counter(bus.CounterHistoryRecorded)
	now := time.Now()
	text := "A person in a blue coat walks to the door and puts a red box on the table."
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprint(i)
		events := []struct {
			subject string
			body    any
		}{
			{bus.DescriptionSubject("cam0"), bus.Description{ID: "d" + id, Camera: "cam0", FrameID: "f" + id, Text: text, Backend: "openai", IsModel: true, CapturedAt: now, InferenceStartedAt: now, FirstTokenAt: now, CompletedAt: now}},
			{bus.SubjectDecisions, bus.Decision{ID: "x" + id, Camera: "cam0", DescriptionID: "d" + id, Text: text, Action: bus.ActionSpeak, UtteranceID: "u" + id, CapturedAt: now, DecidedAt: now}},
			{bus.SubjectUtterances, bus.Utterance{ID: "u" + id, Camera: "cam0", DescriptionID: "d" + id, Text: text, Priority: bus.PriorityNormal, CapturedAt: now, CreatedAt: now, NotAfter: now}},
			{bus.SubjectSpeech, bus.SpeechEvent{ID: "s" + id, UtteranceID: "u" + id, Camera: "cam0", State: bus.SpeechStarted, Text: text, At: now, CapturedAt: now, SpokenAt: now}},
			{bus.SubjectSpeech, bus.SpeechEvent{ID: "t" + id, UtteranceID: "u" + id, Camera: "cam0", State: bus.SpeechFinished, Text: text, At: now, CapturedAt: now, SpokenAt: now}},
		}
		for _, e := range events {
			if err := pub.PublishEvent(e.subject, e.body); err != nil {
				b.Fatal(err)
			}
		}
		want := uint64(5 * (i + 1))
		for recorded.Load() < want {
			if counters.Counter(bus.CounterHistoryFailed).Load()+counters.Counter("history.dropped").Load() > 0 {
				b.Fatal("the recorder lost events")
			}
			time.Sleep(10 * time.Microsecond)
		}
	}
}
