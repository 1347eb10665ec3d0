package reading

import (
	"errors"
	"flag"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
)

// Flags are the text reader's command-line options (docs/reading.md): --read-text runs the
// reading stage beside the describer; --ocr-lang is its languages, and those of --backend ocr.
type Flags struct {
	// Once, set before Register, is one image (narrator describe): only --ocr-lang, for
	// --backend ocr.
	Once bool
	On   bool   // --read-text
	Lang string // --ocr-lang
}

// Register adds the reader's flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	if !f.Once {
		fs.BoolVar(&f.On, "read-text", false, "also read text aloud (signs, labels, screens, letters) beside the describer, with Tesseract: only new text, \"Text: …\"; key t or 'narrator ctl read' says the rest after \"more text\" (docs/reading.md)")
	}
	fs.StringVar(&f.Lang, "ocr-lang", DefaultLang, "languages the text reader reads (`LANGS`, for --read-text and --backend ocr): Tesseract's names joined with +, e.g. eng+deu; each needs its data installed (tesseract-ocr-deu)")
}

// Validate refuses --read-text with --backend ocr (the describer already reads), the reader in
// a build without it, and a language whose data is missing; backend is the describer's
// --backend.
func (f *Flags) Validate(backend string) error {
	if f.On && backend == inference.BackendOCR {
		return errors.New("--read-text with --backend ocr: the describer already reads text; drop --read-text")
	}
	if !f.On && backend != inference.BackendOCR {
		return nil
	}
	if !Built {
		return ErrNotBuilt
	}
	return CheckLanguages(f.Lang)
}

// Stage is the reading stage, on its own connection to b, when --read-text asks for it (nil
// when not).
func (f *Flags) Stage(b *bus.Bus, counters *bus.Counters, log *slog.Logger) (*Stage, error) {
	if !f.On {
		return nil, nil
	}
	r, err := New(Config{Lang: f.Lang, Logger: log})
	if err != nil {
		return nil, err
	}
	c, err := b.Connect("reading")
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	s, err := NewStage(c, StageConfig{Reader: r, Counters: counters, Logger: log})
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	log.Info("reading text beside the describer", "model", r.Model())
	return s, nil
}
