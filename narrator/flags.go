package narrator

import (
	"flag"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/userfile"
)

// Flags are the narration stage's command-line options: what is said unasked, how much, what
// counts as a repeat, and the prompt.
type Flags struct {
	Mode, Prompt, Verbosity, Urgent string
	Similarity                      float64
	StaleAfter, Refresh             time.Duration
}

// Register adds the narration flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Mode, "mode", string(ModeNarrate), "what is said unasked: narrate (whatever is new, and an unchanged scene again after --refresh), changes (only what changed), ondemand (only when asked), director (publish key: value cues on narrator.v1.cues.<camera>, speak only when asked)")
	fs.StringVar(&f.Prompt, "prompt", "", "the instruction models get: a preset ("+strings.Join(PresetNames(), ", ")+") or a FILE, read again whenever it changes (default: describe; director in --mode director)")
	fs.StringVar(&f.Verbosity, "verbosity", "normal", "how much of each description is said: short (one sentence), normal (two), detailed (five)")
	fs.Float64Var(&f.Similarity, "similarity", DefaultSimilarity, "content-word similarity (0-1) at which a description counts as a repeat of what was said and is not said")
	fs.DurationVar(&f.StaleAfter, "stale-after", DefaultStaleAfter, "drop what could not be said within this long of its frame's capture")
	fs.DurationVar(&f.Refresh, "refresh", DefaultRefresh, "in --mode narrate, say an unchanged scene again after this much silence")
	fs.StringVar(&f.Urgent, "urgent-keywords", strings.Join(DefaultUrgentKeywords, ","), "comma-separated words that make a description urgent (it interrupts); synonyms and plurals match")
}

// Validate checks the flags before anything opens.
func (f *Flags) Validate() error {
	_, err := f.Config(nil, nil)
	return err
}

// Config checks the flags and turns them into the stage's config.
func (f *Flags) Config(counters *bus.Counters, log *slog.Logger) (Config, error) {
	mode, err := ParseMode(f.Mode)
	if err != nil {
		return Config{}, fmt.Errorf("--mode: %w", err)
	}
	v, ok := ParseVerbosity(f.Verbosity)
	if !ok {
		return Config{}, fmt.Errorf("--verbosity %q: use short, normal or detailed", f.Verbosity)
	}
	if !(f.Similarity > 0 && f.Similarity <= 1) { // also refuses NaN
		return Config{}, fmt.Errorf("--similarity %g: use a number above 0 up to 1 (1 suppresses only exact repeats)", f.Similarity)
	}
	if f.StaleAfter <= 0 || f.Refresh <= 0 {
		return Config{}, fmt.Errorf("--stale-after and --refresh must be positive")
	}
	cfg := Config{
		Mode: mode, Verbosity: v, Similarity: f.Similarity, StaleAfter: f.StaleAfter, Refresh: f.Refresh,
		UrgentKeywords: []string{}, Counters: counters, Logger: log,
	}
	for _, k := range strings.Split(f.Urgent, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.UrgentKeywords = append(cfg.UrgentKeywords, k)
		}
	}
	if _, preset := Presets[f.Prompt]; preset || f.Prompt == "" {
		cfg.Prompt = f.Prompt
	} else if _, err := userfile.Check(f.Prompt); err != nil {
		return Config{}, fmt.Errorf("--prompt %q is neither a preset (%s) nor a readable file: %w", f.Prompt, strings.Join(PresetNames(), ", "), err)
	} else {
		cfg.PromptFile = f.Prompt
	}
	return cfg, nil
}
