package scale

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/inference"
)

// Flags are `narrator bench --scale`'s command-line options.
type Flags struct {
	Config
	hosts, latencies string
	hostLogs         bool
}

// Register adds the harness's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.IntVar(&f.Cameras, "cameras", DefaultCameras, "synthetic cameras (M)")
	fs.StringVar(&f.hosts, "hosts", strings.Trim(strings.Join(strings.Fields(fmt.Sprint(DefaultHosts)), ","), "[]"), "numbers of inference hosts to measure, one run each (N), comma-separated")
	fs.DurationVar(&f.Latency, "latency", DefaultLatency, "each simulated model's fixed time per description")
	fs.StringVar(&f.latencies, "latencies", "", "the hosts' latencies in turn instead of --latency, comma-separated (e.g. 250ms,1s: a fast and a slow host)")
	fs.DurationVar(&f.ChangeEvery, "change-every", DefaultChangeEvery, "how often each camera's scene changes, on average")
	fs.DurationVar(&f.Duration, "duration", DefaultDuration, "measured window of each run")
	fs.DurationVar(&f.Warmup, "warmup", DefaultWarmup, "time before the window opens")
	fs.StringVar(&f.Mode, "mode", ModePull, "how hosts share frames: pull (--pull, the JetStream work queue) or push (the queue group)")
	fs.DurationVar(&f.MaxAge, "max-age", inference.DefaultMaxAge, "the hosts' --max-age")
	fs.StringVar(&f.NATS, "nats", "", "use this NATS server (URL) instead of starting one; it needs JetStream for --mode pull")
	fs.IntVar(&f.Cluster, "cluster", 0, "start a cluster of this many routed NATS nodes (2 or more; JetStream on each for --mode pull) instead of one server: cameras on node 1, host i on node i+1")
	fs.BoolVar(&f.KillHost, "kill-host", false, "kill the first host (SIGKILL) mid-request a third into each window and report what became of its frame")
	fs.BoolVar(&f.hostLogs, "host-logs", false, "show the hosts' logs on stderr")
}

// Parsed is the run's config from the parsed flags: the hosts' logs go to stderr with
// --host-logs; exe is the narrator binary.
func (f *Flags) Parsed(exe string, stderr io.Writer) (Config, error) {
	cfg := f.Config
	cfg.Exe = exe
	var err error
	if cfg.Hosts, err = intList(f.hosts); err != nil {
		return cfg, fmt.Errorf("--hosts %q: %w", f.hosts, err)
	}
	if f.latencies != "" {
		for _, s := range strings.Split(f.latencies, ",") {
			d, err := time.ParseDuration(strings.TrimSpace(s))
			if err != nil || d <= 0 {
				return cfg, fmt.Errorf("--latencies %q: %q is not a positive duration", f.latencies, s)
			}
			cfg.Latencies = append(cfg.Latencies, d)
		}
	}
	if cfg.MaxAge == 0 {
		cfg.MaxAge = inference.Off // the hosts' --max-age 0: no limit
	}
	if f.hostLogs {
		cfg.Stderr = stderr
	}
	return cfg, nil
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

// Wanted reports whether `narrator bench` was asked for the scale harness (--scale).
func Wanted(args []string) bool {
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
