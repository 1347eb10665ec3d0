package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/narrator-dev/narrator/bench"
	"github.com/narrator-dev/narrator/capture"
)

// runBench measures the reaction time against a simulated model and speaker (see package bench).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if wantsScale(args) {
		return runBenchScale(ctx, args, stdout, stderr) // benchscale.go
	}
	fs := newFlags("bench", "Measures how soon the narrator speaks after a scene changes: runs the whole real pipeline\n"+
		"on a clip against a SIMULATED model and speaker, then a naive 2 Hz loop with the same\n"+
		"simulations, and reports both side by side. Nothing here runs a model or plays audio.", stderr)
	var cfg bench.Config
	fs.StringVar(&cfg.Source, "source", "demo", "the clip: demo (the built-in demo scene, whose changes are known exactly), motion (a ball rolling across a room for two thirds of the run; also runs the pipeline with a fixed interval) or any source: "+capture.SourceForms)
	fs.DurationVar(&cfg.Duration, "duration", bench.DefaultDuration, "how long each of the two runs lasts (the default: the demo's first five scenes, four changes)")
	fs.DurationVar(&cfg.Model.TTFT, "ttft", 150*time.Millisecond, "the simulated model's time to first token")
	fs.Float64Var(&cfg.Model.TokensPerSecond, "tokens-per-second", 60, "the simulated model's token rate (one word per token)")
	fs.Float64Var(&cfg.WordsPerMinute, "wpm", 180, "the simulated speaker's pace in words per minute")
	fs.BoolVar(&cfg.Preempt, "preempt", true, "let a new scene cancel a generation for the old one")
	fs.DurationVar(&cfg.Heartbeat, "heartbeat", capture.DefaultHeartbeat, "re-send an unchanged scene this often, as in run")
	fs.DurationVar(&cfg.MinInterval, "min-interval", capture.DefaultMinInterval, "least time between two frames sent, as in run")
	fs.DurationVar(&cfg.MaxInterval, "max-interval", capture.DefaultMaxInterval, "ceiling of the novelty backoff, as in run (0: a fixed --min-interval)")
	jsonOut := fs.Bool("json", false, "print the report as JSON instead of tables")
	logLevel := fs.String("log-level", "error", "log level of the stages: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	if cfg.Model.TTFT <= 0 || cfg.Model.TokensPerSecond <= 0 || cfg.WordsPerMinute <= 0 {
		return fmt.Errorf("--ttft, --tokens-per-second and --wpm must be positive")
	}
	if cfg.MaxInterval == 0 {
		cfg.MaxInterval = -1 // off
	}
	log, err := newLogger(stderr, *logLevel)
	if err != nil {
		return err
	}
	cfg.Logger = log
	fmt.Fprintf(stderr, "%s\nrunning the pipeline, then the naive loop, %s each…\n", bench.SimulationLabel, cfg.Duration)
	r, err := bench.Run(ctx, cfg)
	if err != nil {
		return err
	}
	if *jsonOut {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	return r.WriteTable(stdout)
}
