package bench

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/capture"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// TestShortRunIsConsistent runs both variants on the demo for 7s each (one scene change, at
// 5s), and checks the report for internal consistency. No figure is
// compared with a wall-clock target.
func TestShortRunIsConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs the pipeline for 14s")
	}
	r, err := Run(context.Background(), Config{
		Duration: 7 * time.Second, Preempt: true, WordsPerMinute: 600,
		// Slow tokens: the naive loop waits for every word, the pipeline for the first sentence.
		Model: SimModelConfig{TTFT: 50 * time.Millisecond, TokensPerSecond: 20},
		// A small picture keeps the CPU work small under -race on a busy machine.
		SourceConfig: capture.SourceConfig{Width: 640, Height: 360, FPS: 10}, MaxEdge: 640,
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, res := range []Result{r.Pipeline, r.Naive} {
		tot := res.Totals
		if tot.Changes != 1 || len(res.Changes) != 1 {
			t.Fatalf("%s: %d changes (%d listed), want 1 in 7s of the demo", res.Name, tot.Changes, len(res.Changes))
		}
		c := res.Changes[0]
		if c.ReactionMS == nil || tot.Reacted != 1 {
			t.Fatalf("%s: no audio about the new scene: %+v", res.Name, c)
		}
		// Each stage of the reaction comes after the one before it.
		steps := []*float64{c.FrameMS, c.InferenceMS, c.DescribedMS, c.ReactionMS}
		prev := 0.0
		for i, s := range steps {
			if s == nil || *s < prev {
				t.Errorf("%s: reaction stage %d = %v, before the previous %v: %+v", res.Name, i, deref(s), prev, c)
				break
			}
			prev = *s
		}
		if *c.DescribedMS < 50 { // the simulated first token comes 50ms after the call at the earliest
			t.Errorf("%s: first token %.1fms after the change, before the simulated TTFT", res.Name, *c.DescribedMS)
		}
		if tot.OverheadSamples == 0 || tot.OverheadP50MS <= 0 || tot.OverheadP99MS < tot.OverheadP50MS {
			t.Errorf("%s: overhead p50 %v, p99 %v over %d frames", res.Name, tot.OverheadP50MS, tot.OverheadP99MS, tot.OverheadSamples)
		}
		if tot.CPUSeconds <= 0 || tot.PeakRSSMB <= 0 || tot.FramesRead == 0 {
			t.Errorf("%s: CPU %vs, RSS %vMB, %d frames read", res.Name, tot.CPUSeconds, tot.PeakRSSMB, tot.FramesRead)
		}
	}
	var table bytes.Buffer
	if err := r.WriteTable(&table); err != nil {
		t.Fatal(err)
	}
	t.Log("\n" + table.String())
	p, n := r.Pipeline.Totals, r.Naive.Totals
	if n.ReactionP50MS <= p.ReactionP50MS {
		t.Errorf("the naive loop reacted in %.1fms, no slower than the pipeline's %.1fms", n.ReactionP50MS, p.ReactionP50MS)
	}
	if p.Extra != 0 {
		t.Errorf("the pipeline made %d inferences on unchanged scenes beyond the heartbeat", p.Extra)
	}
	if n.Inferences <= p.Inferences || n.Repeats == 0 {
		t.Errorf("the naive loop made %d inferences and %d repeats; the pipeline %d inferences: the naive loop should describe every tick",
			n.Inferences, n.Repeats, p.Inferences)
	}

	if !strings.HasPrefix(table.String(), SimulationLabel) || !strings.Contains(table.String(), "naive 2 Hz loop") {
		t.Errorf("the table does not start with the simulation label:\n%s", table.String())
	}
	data, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var back map[string]any
	if err := json.Unmarshal(data, &back); err != nil {
		t.Fatal(err)
	}
	if back["simulation"] != SimulationLabel || back["simulated_model"].(map[string]any)["ttft_ms"] != 50.0 {
		t.Errorf("JSON report: simulation %v, model %v", back["simulation"], back["simulated_model"])
	}
}
