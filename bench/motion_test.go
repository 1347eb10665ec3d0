package bench

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/capture"
)

// TestMotionBackoffHalvesInferences runs the pipeline on the motion clip (a still room for
// 2 s, a ball rolling across it for 8 s, the lights off for 2 s) with and without the
// novelty backoff: on the rolling ball, whose descriptions the simulated model keeps repeating,
// the backoff must at least halve the inferences, and every scene change must still be said.
func TestMotionBackoffHalvesInferences(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline three times for 12s")
	}
	r, err := Run(context.Background(), Config{
		Source: MotionSource, Duration: 12 * time.Second, Preempt: true, WordsPerMinute: 600,
		Model:        SimModelConfig{TTFT: 100 * time.Millisecond, TokensPerSecond: 60},
		SourceConfig: capture.SourceConfig{Width: 640, Height: 360, FPS: 10}, MaxEdge: 640,
	})
	if err != nil {
		t.Fatal(err)
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())
	if r.Fixed == nil {
		t.Fatal("no fixed-interval run on the motion clip")
	}
	for _, res := range []Result{r.Pipeline, *r.Fixed} {
		if len(res.Changes) != 2 || res.Totals.Reacted != 2 {
			t.Fatalf("%s: reacted to %d of %d changes, want both (the ball, the lights)", res.Name, res.Totals.Reacted, len(res.Changes))
		}
	}
	backoff, fixed := r.Pipeline.Changes[0], r.Fixed.Changes[0]
	motion := func(c ChangeResult) int { return c.Inferences + c.Cancelled }
	if fixed.Inferences < 10 {
		t.Fatalf("the fixed interval described the rolling ball only %d times in 8 s; the clip is not moving", fixed.Inferences)
	}
	if 2*motion(backoff) > motion(fixed) {
		t.Errorf("inferences on the rolling ball: %d with the backoff, %d with a fixed interval; want at most half", motion(backoff), motion(fixed))
	}
}
