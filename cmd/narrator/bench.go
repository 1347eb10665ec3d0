package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/bench"
	"github.com/narrator-dev/narrator/bench/scale"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

// runBench measures the reaction time against a simulated model and speaker (see package bench).
func runBench(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if scale.Wanted(args) {
		return runBenchScale(ctx, args, stdout, stderr) // benchscale.go
	}
	fs := pipeline.NewFlags("bench", "Measures how soon the narrator speaks after a scene changes: runs the whole real pipeline\n"+
		"on a clip against a SIMULATED model and speaker, then a naive 2 Hz loop with the same\n"+
		"simulations, and reports both side by side. Nothing here runs a model or plays audio.", stderr)
	var f bench.Flags
	f.Register(fs)
	jsonOut := fs.Bool("json", false, "print the report as JSON instead of tables")
	logLevel := fs.String("log-level", "error", "log level of the stages: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench takes no arguments, got %q", fs.Args())
	}
	cfg, err := f.Parsed()
	if err != nil {
		return err
	}
	log, err := pipeline.NewLogger(stderr, *logLevel)
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
