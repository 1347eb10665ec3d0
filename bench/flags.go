package bench

import (
	"errors"
	"flag"

	"github.com/narrator-dev/narrator/capture"
)

// Flags are `narrator bench`'s command-line options: the clip, the simulations and the
// capture settings.
type Flags struct {
	Config
}

// Register adds the bench's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Source, "source", "demo", "the clip: demo (the built-in demo scene, whose changes are known exactly), motion (a ball rolling across a room for two thirds of the run; also runs the pipeline with a fixed interval) or any source: "+capture.SourceForms)
	fs.DurationVar(&f.Duration, "duration", DefaultDuration, "how long each of the two runs lasts (the default: the demo's first five scenes, four changes)")
	fs.DurationVar(&f.Model.TTFT, "ttft", DefaultTTFT, "the simulated model's time to first token")
	fs.Float64Var(&f.Model.TokensPerSecond, "tokens-per-second", DefaultTokensPerSecond, "the simulated model's token rate (one word per token)")
	fs.Float64Var(&f.WordsPerMinute, "wpm", DefaultWordsPerMinute, "the simulated speaker's pace in words per minute")
	fs.BoolVar(&f.Preempt, "preempt", true, "let a new scene cancel a generation for the old one")
	fs.DurationVar(&f.Heartbeat, "heartbeat", capture.DefaultHeartbeat, "re-send an unchanged scene this often, as in run")
	fs.DurationVar(&f.MinInterval, "min-interval", capture.DefaultMinInterval, "least time between two frames sent, as in run")
	fs.DurationVar(&f.MaxInterval, "max-interval", capture.DefaultMaxInterval, "ceiling of the novelty backoff, as in run (0: a fixed --min-interval)")
}

// Parsed checks the flags and returns the run's config.
func (f *Flags) Parsed() (Config, error) {
	cfg := f.Config
	if cfg.Model.TTFT <= 0 || cfg.Model.TokensPerSecond <= 0 || cfg.WordsPerMinute <= 0 {
		return cfg, errors.New("--ttft, --tokens-per-second and --wpm must be positive")
	}
	// As in run, a flag's 0 is off: capture.Off in the config, where zero is the default.
	cfg.Heartbeat, cfg.MinInterval, cfg.MaxInterval = capture.OffIfZero(cfg.Heartbeat), capture.OffIfZero(cfg.MinInterval), capture.OffIfZero(cfg.MaxInterval)
	return cfg, nil
}
