package bench

import (
	"testing"
	"time"
)

func TestPercentile(t *testing.T) {
	ms := func(v ...int) []time.Duration {
		var out []time.Duration
		for _, x := range v {
			out = append(out, time.Duration(x)*time.Millisecond)
		}
		return out
	}
	for _, tc := range []struct {
		name string
		in   []time.Duration
		p    float64
		want time.Duration
	}{
		{"none", nil, 50, 0},
		{"one", ms(7), 50, 7 * time.Millisecond},
		{"one p99", ms(7), 99, 7 * time.Millisecond},
		{"median of odd, unsorted", ms(30, 10, 20), 50, 20 * time.Millisecond},
		{"median of even is the lower", ms(40, 10, 30, 20), 50, 20 * time.Millisecond},
		{"p0 is the least", ms(5, 1, 3), 0, 1 * time.Millisecond},
		{"p100 is the most", ms(5, 1, 3), 100, 5 * time.Millisecond},
		{"p99 of 100 is the 99th", ms(seq(1, 100)...), 99, 99 * time.Millisecond},
		{"p99 of 10 is the most", ms(seq(1, 10)...), 99, 10 * time.Millisecond},
		{"p90 of 10", ms(seq(1, 10)...), 90, 9 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Percentile(tc.in, tc.p); got != tc.want {
				t.Errorf("Percentile(%v, %v) = %v, want %v", tc.in, tc.p, got, tc.want)
			}
		})
	}
}

func seq(from, to int) []int {
	var out []int
	for i := from; i <= to; i++ {
		out = append(out, i)
	}
	return out
}

func TestAnalyze(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }
	tr := Trace{
		Scenes: []time.Time{at(0), at(5000), at(10000)},
		End:    at(15000),
		Inferences: []Inference{
			{CapturedAt: at(10), Start: at(20), FirstToken: at(170)},                           // scene 0
			{CapturedAt: at(4000), Start: at(4010), FirstToken: at(4160), Heartbeat: true},     // scene 0, heartbeat: not extra
			{CapturedAt: at(4500), Start: at(4510), FirstToken: at(4660)},                      // scene 0: extra
			{CapturedAt: at(5030), Start: at(5040), Cancelled: true},                           // scene 1, cancelled
			{CapturedAt: at(5100), Start: at(5110), FirstToken: at(5260)},                      // scene 1
			{CapturedAt: at(10050), Start: at(10060)},                                          // scene 2, failed: no token
			{CapturedAt: at(10080), Start: at(10090), FirstToken: at(10240), Unfinished: true}, // scene 2, still running at the end
		},
		Spoken: []Spoken{
			{CapturedAt: at(5100), Description: "b2", At: at(5400)}, // later audio of scene 1
			{CapturedAt: at(10), Description: "a", At: at(300)},
			{CapturedAt: at(5100), Description: "b", At: at(5320)}, // first audio of scene 1
			{CapturedAt: at(5100), Description: "b", At: at(5350)}, // same description: not a repeat
			{CapturedAt: at(10), Description: "a", At: at(400)},
		},
		Overhead: []time.Duration{2 * time.Millisecond, 4 * time.Millisecond, 30 * time.Millisecond},
		CPU:      1500 * time.Millisecond,
		PeakRSS:  64 << 20,
	}
	changes, tot := tr.Analyze()
	if len(changes) != 2 {
		t.Fatalf("%d changes, want 2", len(changes))
	}
	c1, c2 := changes[0], changes[1]
	check := func(name string, got *float64, want float64) {
		t.Helper()
		if got == nil || *got != want {
			t.Errorf("%s = %v, want %v", name, deref(got), want)
		}
	}
	check("scene 1 frame", c1.FrameMS, 30)
	check("scene 1 model start", c1.InferenceMS, 40)
	check("scene 1 first token", c1.DescribedMS, 260)
	check("scene 1 reaction", c1.ReactionMS, 320)
	if c1.Scene != 1 || c1.AtS != 5 || c1.Inferences != 1 || c1.Cancelled != 1 || c1.Repeats != 1 {
		t.Errorf("scene 1 = %+v", c1)
	}
	check("scene 2 frame", c2.FrameMS, 50)
	check("scene 2 first token, of an unfinished inference", c2.DescribedMS, 240)
	if c2.ReactionMS != nil || c2.Inferences != 1 || c2.Cancelled != 0 {
		t.Errorf("scene 2: one failed inference, one unfinished, no audio: %+v", c2)
	}
	want := Totals{
		Changes: 2, Reacted: 1, ReactionP50MS: 320, ReactionMaxMS: 320, DescribedP50: 240,
		Inferences: 5, Cancelled: 1, Extra: 1, Repeats: 1, Spoken: 5,
		OverheadP50MS: 4, OverheadP99MS: 30, OverheadSamples: 3, CPUSeconds: 1.5, PeakRSSMB: 64,
	}
	if tot != want {
		t.Errorf("totals\n got %+v\nwant %+v", tot, want)
	}
}

func TestAnalyzeIgnoresWhatCameBeforeTheFirstScene(t *testing.T) {
	t0 := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	tr := Trace{
		Scenes:     []time.Time{t0},
		Inferences: []Inference{{CapturedAt: t0.Add(-time.Second), Start: t0}},
		Spoken:     []Spoken{{CapturedAt: t0.Add(-time.Second), Description: "x", At: t0}},
	}
	changes, tot := tr.Analyze()
	if len(changes) != 0 || tot.Inferences != 0 || tot.Spoken != 0 {
		t.Errorf("changes %v, totals %+v; want nothing counted", changes, tot)
	}
	if _, tot := (Trace{}).Analyze(); tot != (Totals{}) {
		t.Errorf("empty trace: %+v", tot)
	}
}

func deref(v *float64) any {
	if v == nil {
		return nil
	}
	return *v
}
