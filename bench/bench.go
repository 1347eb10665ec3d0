// Package bench measures how soon the narrator reacts to a scene change. It runs the whole real
// pipeline (embedded bus, capture, inference, narration, speech) on a clip against a SIMULATED
// model and a SIMULATED speaker with configurable timing, and in the same run a naive
// sequential loop (sample on a 2 Hz tick, wait for the whole description, say it) with the
// same simulations, and reports both side by side. The simulations live only here: they are
// never a product backend, and every output says they are simulations.
package bench

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/narrator-dev/narrator/capture"
)

// Config configures a bench run.
type Config struct {
	// Source is the clip, any capture source spec. Default: "demo", the built-in demo scene,
	// whose scene changes are known exactly; for other sources the capture gate's verdicts
	// stand in for the ground truth.
	Source string
	// Duration is how long each of the two runs lasts. Default: DefaultDuration.
	Duration time.Duration
	// Model is the simulated model's timing.
	Model SimModelConfig
	// WordsPerMinute is the simulated speaker's pace. Default: 180.
	WordsPerMinute float64
	// Preempt turns on preemption in the pipeline's inference stage. The CLI default is on.
	Preempt bool
	// Heartbeat, MinInterval, MaxAge, Threshold and MaxEdge are the capture settings, as in
	// `narrator run`. Defaults: 10s, 500ms, 2s, capture.DefaultThreshold, 1024.
	Heartbeat, MinInterval, MaxAge time.Duration
	Threshold, MaxEdge             int
	// SourceConfig is what the source is asked for. Default: 1280×720 at 15 fps.
	SourceConfig capture.SourceConfig
	// Logger is where the stages log. Default: discard.
	Logger *slog.Logger
}

// DefaultDuration is how long each run lasts unless told: the demo's first five scenes, four
// changes.
const DefaultDuration = 24 * time.Second

func (c Config) withDefaults() Config {
	if c.Source == "" {
		c.Source = "demo"
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	c.Model = c.Model.withDefaults()
	if c.WordsPerMinute <= 0 {
		c.WordsPerMinute = 180
	}
	if c.Heartbeat == 0 {
		c.Heartbeat = 10 * time.Second
	}
	if c.MinInterval == 0 {
		c.MinInterval = 500 * time.Millisecond
	}
	if c.MaxAge == 0 {
		c.MaxAge = 2 * time.Second
	}
	if c.Threshold <= 0 {
		c.Threshold = capture.DefaultThreshold
	}
	if c.MaxEdge <= 0 {
		c.MaxEdge = 1024
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	c.SourceConfig.Logger = c.Logger
	return c
}

// Result is one run's figures.
type Result struct {
	Name    string         `json:"name"`
	Changes []ChangeResult `json:"changes"`
	Totals  Totals         `json:"totals"`
}

// Machine is what the bench ran on.
type Machine struct {
	CPU     string `json:"cpu"`
	NumCPU  int    `json:"num_cpu"`
	OS      string `json:"os"`
	LoadAvg string `json:"load_avg,omitempty"` // before the run, Linux only
}

// Report is a bench run's outcome.
type Report struct {
	Simulation     string         `json:"simulation"`
	Source         string         `json:"source"`
	DurationS      float64        `json:"duration_s"`
	Model          SimModelConfig `json:"simulated_model"`
	WordsPerMinute float64        `json:"simulated_speaker_wpm"`
	Preempt        bool           `json:"preempt"`
	Machine        Machine        `json:"machine"`
	Pipeline       Result         `json:"pipeline"`
	Naive          Result         `json:"naive_loop"`
}

// Run runs the pipeline, then the naive loop, each for cfg.Duration on its own copy of the
// source, and reports both. It returns early when ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	r := Report{Simulation: SimulationLabel, Source: cfg.Source, DurationS: cfg.Duration.Seconds(), Model: cfg.Model,
		WordsPerMinute: cfg.WordsPerMinute, Preempt: cfg.Preempt, Machine: machine()}
	for _, v := range []struct {
		name string
		run  func(context.Context, Config, capture.Source, *capture.Demo) (Trace, error)
		out  *Result
	}{
		{"narrator pipeline", runPipeline, &r.Pipeline},
		{"naive 2 Hz loop", runNaive, &r.Naive},
	} {
		src, demo, err := open(ctx, cfg)
		if err != nil {
			return r, err
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
		t, err := v.run(rctx, cfg, src, demo)
		cancel()
		if err != nil {
			return r, err
		}
		if ctx.Err() != nil {
			return r, ctx.Err()
		}
		changes, totals := t.Analyze()
		*v.out = Result{Name: v.name, Changes: changes, Totals: totals}
	}
	return r, nil
}

// open opens a fresh copy of the source; demo is set when it is the demo.
func open(ctx context.Context, cfg Config) (capture.Source, *capture.Demo, error) {
	if cfg.Source == "demo" {
		d := capture.NewDemo(cfg.SourceConfig)
		return d, d, nil
	}
	src, _, err := capture.Open(ctx, cfg.Source, cfg.SourceConfig)
	if err != nil {
		return nil, nil, fmt.Errorf("bench: %w", err)
	}
	return src, nil, nil
}

func machine() Machine {
	m := Machine{CPU: runtime.GOARCH, NumCPU: runtime.NumCPU(), OS: runtime.GOOS + "/" + runtime.GOARCH}
	if data, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, line := range strings.Split(string(data), "\n") {
			if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if data, err := os.ReadFile("/proc/loadavg"); err == nil {
		if f := strings.Fields(string(data)); len(f) >= 3 {
			m.LoadAvg = strings.Join(f[:3], " ")
		}
	}
	return m
}

// WriteTable writes the report as tables: per scene change, then the totals side by side.
func (r Report) WriteTable(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintf(tw, "%s\n", r.Simulation)
	fmt.Fprintf(tw, "source %s, %gs per run, simulated model: first token after %s then %g tokens/s; simulated speaker %g words/min; preemption %v\n",
		r.Source, r.DurationS, r.Model.TTFT, r.Model.TokensPerSecond, r.WordsPerMinute, r.Preempt)
	fmt.Fprintf(tw, "machine: %s, %d CPUs, %s, load before the run %s\n\n", r.Machine.CPU, r.Machine.NumCPU, r.Machine.OS, r.Machine.LoadAvg)
	for _, res := range []Result{r.Pipeline, r.Naive} {
		fmt.Fprintf(tw, "%s: per scene change (ms after the change)\n", res.Name)
		fmt.Fprintln(tw, "scene\tat s\tframe\tmodel start\tfirst token\taudio (reaction)\tinferences\tcancelled\trepeats\t")
		for _, c := range res.Changes {
			fmt.Fprintf(tw, "%d\t%.2f\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", c.Scene, c.AtS, msOrDash(c.FrameMS), msOrDash(c.InferenceMS),
				msOrDash(c.DescribedMS), msOrDash(c.ReactionMS), c.Inferences, c.Cancelled, c.Repeats)
		}
		fmt.Fprintln(tw)
	}
	p, n := r.Pipeline.Totals, r.Naive.Totals
	fmt.Fprintln(tw, "totals\tnarrator pipeline\tnaive 2 Hz loop\t")
	rows := []struct {
		name string
		p, n string
	}{
		{"scene changes reacted to", fmt.Sprintf("%d/%d", p.Reacted, p.Changes), fmt.Sprintf("%d/%d", n.Reacted, n.Changes)},
		{"reaction p50 (change → audio), ms", f1(p.ReactionP50MS), f1(n.ReactionP50MS)},
		{"reaction max, ms", f1(p.ReactionMaxMS), f1(n.ReactionMaxMS)},
		{"change → first token p50, ms", f1(p.DescribedP50), f1(n.DescribedP50)},
		{"inferences finished", fmt.Sprint(p.Inferences), fmt.Sprint(n.Inferences)},
		{"inferences cancelled", fmt.Sprint(p.Cancelled), fmt.Sprint(n.Cancelled)},
		{"inferences beyond one per scene + heartbeats", fmt.Sprint(p.Extra), fmt.Sprint(n.Extra)},
		{"utterances spoken", fmt.Sprint(p.Spoken), fmt.Sprint(n.Spoken)},
		{"repeats spoken", fmt.Sprint(p.Repeats), fmt.Sprint(n.Repeats)},
		{"Go overhead per frame p50, ms", f2(p.OverheadP50MS), f2(n.OverheadP50MS)},
		{"Go overhead per frame p99, ms", f2(p.OverheadP99MS), f2(n.OverheadP99MS)},
		{"  of which capture → model call p50, ms", f2(p.OverheadInP50MS), f2(n.OverheadInP50MS)},
		{"  of which text → audio start p50, ms", f2(p.OverheadOutP50), f2(n.OverheadOutP50)},
		{"overhead samples (frames)", fmt.Sprint(p.OverheadSamples), fmt.Sprint(n.OverheadSamples)},
		{"frames read", fmt.Sprint(p.FramesRead), fmt.Sprint(n.FramesRead)},
		{"CPU seconds", f2(p.CPUSeconds), f2(n.CPUSeconds)},
		{"peak RSS so far, MB", f1(p.PeakRSSMB), f1(n.PeakRSSMB)},
	}
	for _, row := range rows {
		fmt.Fprintf(tw, "%s\t%s\t%s\t\n", row.name, row.p, row.n)
	}
	return tw.Flush()
}

func msOrDash(v *float64) string {
	if v == nil {
		return "—"
	}
	return f1(*v)
}

func f1(v float64) string { return fmt.Sprintf("%.1f", v) }
func f2(v float64) string { return fmt.Sprintf("%.2f", v) }
