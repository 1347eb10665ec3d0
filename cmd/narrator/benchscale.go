package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/narrator-dev/narrator/bench/scale"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

// runBenchScale runs the scale harness (package bench/scale).
func runBenchScale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("bench --scale", "Measures how inference scales: starts a NATS server with JetStream, M synthetic cameras and N\n"+
		"`narrator infer` processes (this binary), each against its own SIMULATED model server with a\n"+
		"fixed latency, and reports throughput, scaling efficiency, lost scene changes, reaction times\n"+
		"and CPU per frame for each N as a markdown table, with a capacity plan.", stderr)
	fs.Bool("scale", true, "run the scale harness (this mode)")
	var f scale.Flags
	f.Register(fs)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench --scale takes no arguments, got %q", fs.Args())
	}
	exe, err := os.Executable()
	if err != nil {
		return fmt.Errorf("bench --scale: find this binary to run its infer command: %w", err)
	}
	cfg, err := f.Parsed(exe, stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(stderr, "SIMULATED models: %d cameras, hosts %v, %s measured each after %s…\n", cfg.Cameras, cfg.Hosts, cfg.Duration, cfg.Warmup)
	r, err := scale.Run(ctx, cfg)
	if err != nil {
		return err
	}
	return r.WriteMarkdown(stdout)
}
