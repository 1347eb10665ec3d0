package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bench/scale"
	"github.com/narrator-dev/narrator/inference"
)

// wantsScale reports whether `narrator bench` was asked for the scale harness (--scale).
func wantsScale(args []string) bool {
	for _, a := range args {
		if a == "--" {
			return false
		}
		switch strings.TrimLeft(a, "-") {
		case "scale", "scale=true", "scale=1":
			return true
		}
	}
	return false
}

// runBenchScale runs the scale harness (package bench/scale).
func runBenchScale(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bench --scale", "Measures how inference scales: starts a NATS server with JetStream, M synthetic cameras and N\n"+
		"`narrator infer` processes (this binary), each against its own SIMULATED model server with a\n"+
		"fixed latency, and reports throughput, scaling efficiency, lost scene changes, reaction times\n"+
		"and CPU per frame for each N as a markdown table, with a capacity plan.", stderr)
	fs.Bool("scale", true, "run the scale harness (this mode)")
	var cfg scale.Config
	fs.IntVar(&cfg.Cameras, "cameras", scale.DefaultCameras, "synthetic cameras (M)")
	hosts := fs.String("hosts", "1,2,4", "numbers of inference hosts to measure, one run each (N), comma-separated")
	fs.DurationVar(&cfg.Latency, "latency", scale.DefaultLatency, "each simulated model's fixed time per description")
	slow := fs.String("latencies", "", "the hosts' latencies in turn instead of --latency, comma-separated (e.g. 250ms,1s: a fast and a slow host)")
	fs.DurationVar(&cfg.ChangeEvery, "change-every", scale.DefaultChangeEvery, "how often each camera's scene changes, on average")
	fs.DurationVar(&cfg.Duration, "duration", scale.DefaultDuration, "measured window of each run")
	fs.DurationVar(&cfg.Warmup, "warmup", scale.DefaultWarmup, "time before the window opens")
	fs.StringVar(&cfg.Mode, "mode", scale.ModePull, "how hosts share frames: pull (--pull, the JetStream work queue) or push (the queue group)")
	fs.DurationVar(&cfg.MaxAge, "max-age", inference.DefaultMaxAge, "the hosts' --max-age")
	fs.StringVar(&cfg.NATS, "nats", "", "use this NATS server (URL) instead of starting one; it needs JetStream for --mode pull")
	fs.BoolVar(&cfg.KillHost, "kill-host", false, "kill the first host (SIGKILL) mid-request a third into each window and report what became of its frame")
	verbose := fs.Bool("host-logs", false, "show the hosts' logs on stderr")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("bench --scale takes no arguments, got %q", fs.Args())
	}
	var err error
	if cfg.Hosts, err = intList(*hosts); err != nil {
		return fmt.Errorf("--hosts %q: %w", *hosts, err)
	}
	if *slow != "" {
		for _, s := range strings.Split(*slow, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil || d <= 0 {
				return fmt.Errorf("--latencies %q: %q is not a positive duration", *slow, s)
			}
			cfg.Latencies = append(cfg.Latencies, d)
		}
	}
	if cfg.Exe, err = os.Executable(); err != nil {
		return fmt.Errorf("bench --scale: find this binary to run its infer command: %w", err)
	}
	if *verbose {
		cfg.Stderr = stderr
	}
	fmt.Fprintf(stderr, "SIMULATED models: %d cameras, hosts %v, %s measured each after %s…\n", cfg.Cameras, cfg.Hosts, cfg.Duration, cfg.Warmup)
	r, err := scale.Run(ctx, cfg)
	if err != nil {
		return err
	}
	return r.WriteMarkdown(stdout)
}

// intList parses "1,2,4".
func intList(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		var n int
		if _, err := fmt.Sscanf(strings.TrimSpace(f), "%d", &n); err != nil || n < 1 {
			return nil, fmt.Errorf("%q is not a positive number", f)
		}
		out = append(out, n)
	}
	return out, nil
}
