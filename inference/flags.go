package inference

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/cliflag"
)

// Flags are the inference stage's command-line options: which describer (--backend and its
// settings), preemption, and how hosts share the frames (--pull, --max-age).
type Flags struct {
	Backend, Model, URL, APIKey string
	// Python is the mlx worker's interpreter (--worker-python).
	Python          string
	Preempt         bool
	PreemptDistance int
	Pull            bool
	// OwnsMaxAge, set before Register, makes --max-age inference's (commands without a capture
	// stage: `narrator infer`); otherwise inference keeps DefaultMaxAge and --max-age is
	// capture's.
	OwnsMaxAge bool
	MaxAge     time.Duration
	// Lang is the text reader's languages for --backend ocr, set by the reading flags
	// (--ocr-lang).
	Lang string
}

// Register adds the inference flags to fs. The --model help names the default model of each
// registered backend that has one.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Backend, "backend", DefaultBackend, "what describes frames (`BACKEND`): auto, mlx, openai, ocr (reads text instead, see --read-text), heuristic (auto: mlx on an Apple Silicon Mac after 'narrator setup', else a local model server if one answers, else the heuristic)")
	mlxModel, _ := registered(BackendMLX)
	fs.StringVar(&f.Model, "model", "", "model id (default: for mlx, "+mlxModel.DefaultModel+" or a local folder; for openai, the first vision model the server lists)")
	fs.StringVar(&f.Python, "worker-python", cliflag.Env("NARRATOR_WORKER_PYTHON", ""), "Python interpreter (`PATH`) for the mlx worker, with mlx-vlm installed (default: the environment 'narrator setup' made; env NARRATOR_WORKER_PYTHON)")
	fs.StringVar(&f.URL, "openai-url", cliflag.Env("NARRATOR_OPENAI_URL", ""), "OpenAI-compatible server for --backend openai, e.g. http://127.0.0.1:11434 (env NARRATOR_OPENAI_URL)")
	f.APIKey = cliflag.Env("NARRATOR_OPENAI_API_KEY", "")
	fs.BoolVar(&f.Preempt, "preempt", DefaultPreempt, "when the scene changes while the model still describes the old one, cancel that and describe the new scene at once (answers to questions are never cancelled)")
	fs.IntVar(&f.PreemptDistance, "preempt-distance", DefaultPreemptDistance, "least perceptual-hash distance (of 64 bits) of a change that preempts; steady motion moves it by under 10, a cut by 25 or more")
	fs.BoolVar(&f.Pull, "pull", false, "take frames from the bus's JetStream work queue when this host is free, instead of being handed them by the queue group (every infer process on a bus must agree; needs JetStream: nats-server -js, or a narrator bus with history); see docs/scale-out.md")
	f.MaxAge = DefaultMaxAge
	if f.OwnsMaxAge {
		fs.DurationVar(&f.MaxAge, "max-age", DefaultMaxAge, "never describe a frame captured longer ago than this: one that waited so long for a free host is counted stale instead (0: no limit)")
	}
}

// Validate checks the flags before anything opens.
func (f *Flags) Validate() error {
	if f.PreemptDistance < 1 || f.PreemptDistance > 64 {
		return fmt.Errorf("--preempt-distance %d: use 1-64 (bits of the 64-bit hash)", f.PreemptDistance)
	}
	if f.MaxAge < 0 {
		return fmt.Errorf("--max-age %s: use a positive duration, or 0 for no limit", f.MaxAge)
	}
	return cliflag.OneOf("backend", f.Backend, Backends...)
}

// Options are what Open is asked for.
func (f *Flags) Options(counters *bus.Counters, log *slog.Logger) Options {
	return Options{Backend: f.Backend, Model: f.Model, URL: f.URL, APIKey: f.APIKey, Python: f.Python,
		Lang: f.Lang, Counters: counters, Logger: log}
}

// Config is the stage's config for the describer d. --max-age 0 ("no limit") is Off.
func (f *Flags) Config(d Describer, counters *bus.Counters, log *slog.Logger) Config {
	maxAge := f.MaxAge
	if maxAge == 0 {
		maxAge = Off
	}
	return Config{Describer: d, Counters: counters, Logger: log, Preempt: f.Preempt, PreemptDistance: f.PreemptDistance,
		Pull: f.Pull, MaxAge: maxAge}
}

// AddService registers the inference service on c: its status endpoint answers with the
// describer and the counters.
func AddService(c *bus.Conn, info Info, counters *bus.Counters) (*bus.Service, error) {
	return c.AddService(bus.ServiceConfig{
		Name: "narrator-inference", Description: "describes camera frames from narrator.v1.frames.*",
		StatusSubject: bus.SubjectInferenceStatus, Counters: counters,
		Status: func() any {
			return map[string]any{"backend": info.Backend, "model": info.Model, "is_model": info.IsModel, "counters": counters.Snapshot()}
		},
	})
}
