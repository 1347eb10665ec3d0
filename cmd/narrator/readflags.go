package main

import (
	"github.com/narrator-dev/narrator/reading" // also registers --backend ocr
)

// readingOptions is the text reader's part; its flags are reading.Flags.
type readingOptions struct {
	reading.Flags
	infer *inferOptions // the describer's part: its --backend, and where --ocr-lang goes
}

func (o *readingOptions) Validate(*common) error {
	o.infer.Lang = o.Lang
	return o.Flags.Validate(o.infer.Backend)
}

func (o *readingOptions) Build(e env) ([]stage, error) {
	s, err := o.Stage(e.Bus, e.Counters, e.Log)
	if s == nil || err != nil {
		return nil, err
	}
	return []stage{s}, nil
}
