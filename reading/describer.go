package reading

import (
	"context"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
)

func init() {
	inference.Register(inference.Backend{Name: inference.BackendOCR, Open: openDescriber})
}

// Describer is the text reader as the inference stage's describer (--backend ocr): each frame's
// description is what is new of its text ("" when nothing is), and it answers read requests
// while the stage runs.
type Describer struct {
	r        *Reader
	counters *bus.Counters
}

func openDescriber(_ context.Context, o inference.Options) (inference.Describer, error) {
	r, err := New(Config{Lang: o.Lang, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	o.Logger.Info("backend: reading text with Tesseract", "model", r.Model())
	return &Describer{r: r, counters: o.Counters}, nil
}

// NewDescriber makes r the describer; Run closes it.
func NewDescriber(r *Reader, counters *bus.Counters) *Describer {
	if counters == nil {
		counters = bus.NewCounters()
	}
	return &Describer{r: r, counters: counters}
}

// Describe reads f: the text is what is new, the metadata every word (see Reading.Metadata).
func (d *Describer) Describe(ctx context.Context, f bus.Frame, _ func(string)) (inference.Result, error) {
	rd, err := d.r.Read(ctx, f, time.Now())
	if err != nil {
		return inference.Result{}, err
	}
	return inference.Result{Text: rd.Text, Metadata: rd.Metadata()}, nil
}

// Info names the reader: backend ocr, model tesseract-VERSION-LANGS.
func (d *Describer) Info() inference.Info {
	return inference.Info{Backend: inference.BackendOCR, Model: d.r.Model(), IsModel: true}
}

// Run answers read requests on conn until ctx ends, then closes the reader. It also reads the
// settled frames capture sends for the reader (the inference stage gives it the other frames),
// publishing what is new like the reading stage does.
func (d *Describer) Run(ctx context.Context, conn *bus.Conn) error {
	defer func() { _ = d.r.Close() }()
	s, err := NewStage(conn, StageConfig{Reader: d.r, Subject: bus.AllSettledFrames, Counters: d.counters, Logger: d.r.cfg.Logger})
	if err != nil {
		return err
	}
	s.run(ctx)
	return nil
}
