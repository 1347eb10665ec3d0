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
	// whose scene changes are known exactly. MotionSource is the built-in motion clip (a still
	// room, a ball rolling across it for two thirds of Duration, the lights going off), on
	// which the simulated model repeats itself; its runs include the pipeline with a fixed
	// interval too. For other sources the capture gate's verdicts stand in for the ground truth.
	Source string
	// Duration is how long each of the two runs lasts. Default: DefaultDuration.
	Duration time.Duration
	// Model is the simulated model's timing.
	Model SimModelConfig
	// WordsPerMinute is the simulated speaker's pace. Default: DefaultWordsPerMinute.
	WordsPerMinute float64
	// Preempt turns on preemption in the pipeline's inference stage. The CLI default is on.
	Preempt bool
	// Heartbeat, MinInterval, MaxAge, Threshold and MaxEdge are the capture settings, as in
	// capture.Config: zero is capture's default, capture.Off turns the first three off.
	Heartbeat, MinInterval, MaxAge time.Duration
	// MaxInterval is the ceiling of novelty-aware sampling, as in capture.Config. Default:
	// capture.DefaultMaxInterval; capture.Off: no backoff (a fixed MinInterval).
	MaxInterval        time.Duration
	Threshold, MaxEdge int
	// SourceConfig is what the source is asked for. Default: 1280×720 at 15 fps.
	SourceConfig capture.SourceConfig
	// Logger is where the stages log. Default: discard.
	Logger *slog.Logger
}

// DefaultDuration is how long each run lasts unless told: the demo's first five scenes, four
// changes.
const DefaultDuration = 24 * time.Second

// The simulations' defaults: the model's time to first token and token rate, and the
// speaker's pace.
const (
	DefaultTTFT            = 150 * time.Millisecond
	DefaultTokensPerSecond = 60
	DefaultWordsPerMinute  = 180
)

func (c Config) withDefaults() Config {
	if c.Source == "" {
		c.Source = "demo"
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	c.Model = c.Model.withDefaults()
	if c.WordsPerMinute <= 0 {
		c.WordsPerMinute = DefaultWordsPerMinute
	}
	// Heartbeat, MinInterval and MaxAge are capture's to default; MaxInterval is resolved
	// here because the report and the fixed-interval run depend on it.
	if c.MaxInterval == 0 {
		c.MaxInterval = capture.DefaultMaxInterval
	}
	if c.Threshold <= 0 {
		c.Threshold = capture.DefaultThreshold
	}
	if c.MaxEdge <= 0 {
		c.MaxEdge = capture.DefaultMaxEdge
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
	MaxIntervalMS  float64        `json:"max_interval_ms"` // 0: no novelty backoff
	Machine        Machine        `json:"machine"`
	Pipeline       Result         `json:"pipeline"`
	// Fixed is the pipeline with a fixed sampling interval (no novelty backoff), run on the
	// motion clip for comparison.
	Fixed *Result `json:"pipeline_fixed_interval,omitempty"`
	Naive Result  `json:"naive_loop"`
}

// Run runs the pipeline, then the naive loop, each for cfg.Duration on its own copy of the
// source, and reports both; on the motion clip with novelty backoff it runs the pipeline with
// a fixed interval too. It returns early when ctx ends.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg = cfg.withDefaults()
	r := Report{Simulation: SimulationLabel, Source: cfg.Source, DurationS: cfg.Duration.Seconds(), Model: cfg.Model,
		WordsPerMinute: cfg.WordsPerMinute, Preempt: cfg.Preempt, MaxIntervalMS: float64(max(0, cfg.MaxInterval).Milliseconds()),
		Machine: machine()}
	type variant struct {
		name string
		cfg  Config
		run  func(context.Context, Config, capture.Source, groundTruth) (Trace, error)
		out  *Result
	}
	runs := []variant{{"narrator pipeline", cfg, runPipeline, &r.Pipeline}}
	if cfg.Source == MotionSource && cfg.MaxInterval > 0 {
		fixed := cfg
		fixed.MaxInterval = capture.Off
		r.Fixed = &Result{}
		runs = append(runs, variant{"pipeline, fixed interval", fixed, runPipeline, r.Fixed})
	}
	runs = append(runs, variant{"naive 2 Hz loop", cfg, runNaive, &r.Naive})
	for _, v := range runs {
		src, demo, err := open(ctx, v.cfg)
		if err != nil {
			return r, err
		}
		rctx, cancel := context.WithTimeout(ctx, cfg.Duration)
		t, err := v.run(rctx, v.cfg, src, demo)
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

// open opens a fresh copy of the source; truth is set for the built-in clips.
func open(ctx context.Context, cfg Config) (capture.Source, groundTruth, error) {
	switch cfg.Source {
	case "demo":
		d := capture.NewDemo(cfg.SourceConfig)
		return d, d, nil
	case MotionSource:
		m := newMotionClip(cfg.SourceConfig, cfg.Duration)
		return m, m, nil
	}
	sc := cfg.SourceConfig
	if sc.MaxEdge == 0 {
		sc.MaxEdge = cfg.MaxEdge // ffmpeg scales to the published size, as in narrator run
	}
	src, _, err := capture.Open(ctx, cfg.Source, sc)
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
	fmt.Fprintf(tw, "source %s, %gs per run, simulated model: first token after %s then %g tokens/s; simulated speaker %g words/min; preemption %v; max interval %gms\n",
		r.Source, r.DurationS, r.Model.TTFT, r.Model.TokensPerSecond, r.WordsPerMinute, r.Preempt, r.MaxIntervalMS)
	fmt.Fprintf(tw, "machine: %s, %d CPUs, %s, load before the run %s\n\n", r.Machine.CPU, r.Machine.NumCPU, r.Machine.OS, r.Machine.LoadAvg)
	results := []Result{r.Pipeline, r.Naive}
	if r.Fixed != nil {
		results = []Result{r.Pipeline, *r.Fixed, r.Naive}
	}
	for _, res := range results {
		fmt.Fprintf(tw, "%s: per scene change (ms after the change)\n", res.Name)
		fmt.Fprintln(tw, "scene\tat s\tframe\tmodel start\tfirst token\taudio (reaction)\tinferences\tcancelled\trepeats\t")
		for _, c := range res.Changes {
			fmt.Fprintf(tw, "%d\t%.2f\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t\n", c.Scene, c.AtS, msOrDash(c.FrameMS), msOrDash(c.InferenceMS),
				msOrDash(c.DescribedMS), msOrDash(c.ReactionMS), c.Inferences, c.Cancelled, c.Repeats)
		}
		fmt.Fprintln(tw)
	}
	header := "totals"
	for _, res := range results {
		header += "\t" + res.Name
	}
	fmt.Fprintln(tw, header+"\t")
	rows := []struct {
		name string
		f    func(Totals) string
	}{
		{"scene changes reacted to", func(t Totals) string { return fmt.Sprintf("%d/%d", t.Reacted, t.Changes) }},
		{"reaction p50 (change → audio), ms", func(t Totals) string { return f1(t.ReactionP50MS) }},
		{"reaction max, ms", func(t Totals) string { return f1(t.ReactionMaxMS) }},
		{"change → first token p50, ms", func(t Totals) string { return f1(t.DescribedP50) }},
		{"inferences finished", func(t Totals) string { return fmt.Sprint(t.Inferences) }},
		{"inferences cancelled", func(t Totals) string { return fmt.Sprint(t.Cancelled) }},
		{"inferences beyond one per scene + heartbeats", func(t Totals) string { return fmt.Sprint(t.Extra) }},
		{"utterances spoken", func(t Totals) string { return fmt.Sprint(t.Spoken) }},
		{"repeats spoken", func(t Totals) string { return fmt.Sprint(t.Repeats) }},
		{"Go overhead per frame p50, ms", func(t Totals) string { return f2(t.OverheadP50MS) }},
		{"Go overhead per frame p99, ms", func(t Totals) string { return f2(t.OverheadP99MS) }},
		{"  of which capture → model call p50, ms", func(t Totals) string { return f2(t.OverheadInP50MS) }},
		{"  of which text → audio start p50, ms", func(t Totals) string { return f2(t.OverheadOutP50) }},
		{"overhead samples (frames)", func(t Totals) string { return fmt.Sprint(t.OverheadSamples) }},
		{"frames read", func(t Totals) string { return fmt.Sprint(t.FramesRead) }},
		{"frames sent by capture", func(t Totals) string {
			if t.FramesSent == 0 {
				return "—"
			}
			return fmt.Sprint(t.FramesSent)
		}},
		{"CPU seconds", func(t Totals) string { return f2(t.CPUSeconds) }},
		{"peak RSS so far, MB", func(t Totals) string { return f1(t.PeakRSSMB) }},
	}
	for _, row := range rows {
		line := row.name
		for _, res := range results {
			line += "\t" + row.f(res.Totals)
		}
		fmt.Fprintln(tw, line+"\t")
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
