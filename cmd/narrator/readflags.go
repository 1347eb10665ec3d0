package main

import (
	"errors"
	"flag"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/reading" // also registers --backend ocr
)

// readingOptions is the text reader's part (docs/reading.md): --read-text runs the reading
// stage beside the describer; --ocr-lang is its languages, and those of --backend ocr.
type readingOptions struct {
	infer *inferOptions // the describer's part: its --backend, and where --ocr-lang goes
	once  bool          // one image (narrator describe): only --ocr-lang, for --backend ocr
	on    bool          // --read-text
	lang  string        // --ocr-lang
}

func (o *readingOptions) Register(fs *flag.FlagSet) {
	if !o.once {
		fs.BoolVar(&o.on, "read-text", false, "also read text aloud (signs, labels, screens, letters) beside the describer, with Tesseract: only new text, \"Text: …\"; key t or 'narrator ctl read' says the rest after \"more text\" (docs/reading.md)")
	}
	fs.StringVar(&o.lang, "ocr-lang", reading.DefaultLang, "languages the text reader reads (`LANGS`, for --read-text and --backend ocr): Tesseract's names joined with +, e.g. eng+deu; each needs its data installed (tesseract-ocr-deu)")
}

// validate refuses --read-text with --backend ocr (the describer already reads), the reader in
// a build without it, and a language whose data is missing; it gives --ocr-lang to the
// describer's part.
func (o *readingOptions) Validate(*common) error {
	o.infer.Lang = o.lang
	backend := o.infer.Backend
	if o.on && backend == inference.BackendOCR {
		return errors.New("--read-text with --backend ocr: the describer already reads text; drop --read-text")
	}
	if !o.on && backend != inference.BackendOCR {
		return nil
	}
	if !reading.Built {
		return reading.ErrNotBuilt
	}
	return reading.CheckLanguages(o.lang)
}

// build is the reading stage when --read-text asks for it.
func (o *readingOptions) Build(e env) ([]stage, error) {
	if !o.on {
		return nil, nil
	}
	r, err := reading.New(reading.Config{Lang: o.lang, Logger: e.Log})
	if err != nil {
		return nil, err
	}
	s, err := pipeline.WithConn(e.Bus, "reading", func(c *bus.Conn) (*reading.Stage, error) {
		return reading.NewStage(c, reading.StageConfig{Reader: r, Counters: e.Counters, Logger: e.Log})
	})
	if err != nil {
		_ = r.Close()
		return nil, err
	}
	e.Log.Info("reading text beside the describer", "model", r.Model())
	return []stage{s}, nil
}
