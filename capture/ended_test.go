package capture

import (
	"context"
	"encoding/json"
	"log/slog"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"go.uber.org/goleak"
)

// TestTheLastFrameComesBeforeTheEnd: a source that gives one picture and ends (an image
// file) has its frame published before its end, as one subscriber to every event sees them:
// `narrator describe` stops at the end and must have seen the picture. The end once came first
// about one run in three.
func TestTheLastFrameComesBeforeTheEnd(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) })
	srv := bustest.Server(t)
	for run := range 20 {
		pub, sub := bustest.Conn(t, srv, "capture"), bustest.Conn(t, srv, "test")
		q, err := bus.SubscribeRaw(sub, bus.AllEvents, bus.QueueConfig{Name: "all", Size: 64, Policy: bus.DropNewest})
		if err != nil {
			t.Fatal(err)
		}
		if err := sub.Flush(); err != nil {
			t.Fatal(err)
		}
		src := &endingSource{flakySource: newFlaky(scene(beige, 64, 36), 1<<30), frames: 1}
		s, err := New(pub, onlyWhatIsSet(Config{Source: src, Logger: slog.New(slog.DiscardHandler)}))
		if err != nil {
			t.Fatal(err)
		}
		if err := s.Run(context.Background()); err != nil {
			t.Fatalf("run %d: %v", run, err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		frames := 0
		for {
			m, err := q.Next(ctx)
			if err != nil {
				t.Fatalf("run %d: no end of the source: %v", run, err)
			}
			kind, _ := bus.SubjectKind(m.Subject)
			if kind == bus.KindFrames {
				frames++
			}
			var e bus.SourceEvent
			if kind == bus.KindSources && json.Unmarshal(m.Data, &e) == nil && e.State == bus.SourceEnded {
				break
			}
		}
		cancel()
		_ = q.Close()
		if frames != 1 {
			t.Fatalf("run %d: %d frames before the end of the source, want 1", run, frames)
		}
	}
}
