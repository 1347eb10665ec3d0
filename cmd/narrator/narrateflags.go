package main

import (
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	keyctl "github.com/narrator-dev/narrator/internal/keys"
	"github.com/narrator-dev/narrator/internal/userfile"
	"github.com/narrator-dev/narrator/narrator"
	"golang.org/x/term"
)

// narrateOptions are the flags of the narration stage.
type narrateOptions struct {
	mode, prompt, verbosity, urgent string
	similarity                      float64
	staleAfter, refresh             time.Duration
	keys                            bool
}

func (o *narrateOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.mode, "mode", "narrate", "what is said unasked: narrate (whatever is new, and an unchanged scene again after --refresh), changes (only what changed), ondemand (only when asked), director (publish key: value cues on narrator.v1.cues.<camera>, speak only when asked)")
	fs.StringVar(&o.prompt, "prompt", "", "the instruction models get: a preset ("+strings.Join(narrator.PresetNames(), ", ")+") or a FILE, read again whenever it changes (default: describe; director in --mode director)")
	fs.StringVar(&o.verbosity, "verbosity", "normal", "how much of each description is said: short (one sentence), normal (two), detailed (five)")
	fs.Float64Var(&o.similarity, "similarity", narrator.DefaultSimilarity, "content-word similarity (0-1) at which a description counts as a repeat of what was said and is not said")
	fs.DurationVar(&o.staleAfter, "stale-after", narrator.DefaultStaleAfter, "drop what could not be said within this long of its frame's capture")
	fs.DurationVar(&o.refresh, "refresh", narrator.DefaultRefresh, "in --mode narrate, say an unchanged scene again after this much silence")
	fs.StringVar(&o.urgent, "urgent-keywords", strings.Join(narrator.DefaultUrgentKeywords, ","), "comma-separated words that make a description urgent (it interrupts); synonyms and plurals match")
	fs.BoolVar(&o.keys, "keys", true, "single-key controls when stdin is a terminal: space describe, r repeat, t read text, p pause, +/- verbosity, ? help, q quit")
}

func (o *narrateOptions) validate(*common) error {
	_, err := o.config(env{})
	return err
}

// config checks the flags and turns them into the stage's config.
func (o *narrateOptions) config(e env) (narrator.Config, error) {
	mode, err := narrator.ParseMode(o.mode)
	if err != nil {
		return narrator.Config{}, fmt.Errorf("--mode: %w", err)
	}
	v, ok := narrator.ParseVerbosity(o.verbosity)
	if !ok {
		return narrator.Config{}, fmt.Errorf("--verbosity %q: use short, normal or detailed", o.verbosity)
	}
	if !(o.similarity > 0 && o.similarity <= 1) { // also refuses NaN
		return narrator.Config{}, fmt.Errorf("--similarity %g: use a number above 0 up to 1 (1 suppresses only exact repeats)", o.similarity)
	}
	if o.staleAfter <= 0 || o.refresh <= 0 {
		return narrator.Config{}, fmt.Errorf("--stale-after and --refresh must be positive")
	}
	cfg := narrator.Config{
		Mode: mode, Verbosity: v, Similarity: o.similarity, StaleAfter: o.staleAfter, Refresh: o.refresh,
		UrgentKeywords: []string{}, Counters: e.counters, Logger: e.log,
	}
	for _, k := range strings.Split(o.urgent, ",") {
		if k = strings.TrimSpace(k); k != "" {
			cfg.UrgentKeywords = append(cfg.UrgentKeywords, k)
		}
	}
	if _, preset := narrator.Presets[o.prompt]; preset || o.prompt == "" {
		cfg.Prompt = o.prompt
	} else if _, err := userfile.Check(o.prompt); err != nil {
		return narrator.Config{}, fmt.Errorf("--prompt %q is neither a preset (%s) nor a readable file: %w", o.prompt, strings.Join(narrator.PresetNames(), ", "), err)
	} else {
		cfg.PromptFile = o.prompt
	}
	return cfg, nil
}

func (o *narrateOptions) build(e env) ([]stage, error) {
	cfg, err := o.config(e)
	if err != nil {
		return nil, err
	}
	n, err := withConn(e.bus, "narrator", func(c *bus.Conn) (*narrator.Stage, error) {
		return narrator.New(c, cfg)
	})
	if err != nil {
		return nil, err
	}
	stages := []stage{n}
	if o.keys && term.IsTerminal(int(os.Stdin.Fd())) {
		c, err := e.bus.Connect("keys")
		if err != nil {
			return nil, err
		}
		stages = append(stages, keyctl.New(keyctl.Config{Conn: c, FD: int(os.Stdin.Fd()), Out: e.stderr, Logger: e.log, NoHelp: e.transcript}))
	}
	return stages, nil
}
