package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/eventfmt"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("listen", "Prints the events on a narrator bus as they arrive, until Ctrl-C.", stderr)
	var o bus.Flags
	o.Register(fs, false)
	subject := fs.String("subject", bus.AllEvents, "the subjects to print")
	jsonOut := fs.Bool("json", false, "print each event as one JSON line: {\"subject\":…,\"data\":…}")
	stats := fs.Bool("stats", false, "also print the processes' counters ("+bus.SubjectStats+"), hidden by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("listen takes no arguments, got %q", fs.Args())
	}
	log, _ := pipeline.NewLogger(stderr, "info")
	b, err := o.Open(ctx, log)
	if err != nil {
		return err
	}
	defer b.Close()
	p, err := newPrinter(b, eventfmt.PrinterConfig{Out: stdout, JSON: *jsonOut, Subject: *subject, HideStats: !*stats}, log)
	if err != nil {
		return err
	}
	return p.Run(ctx)
}

func newPrinter(b *bus.Bus, cfg eventfmt.PrinterConfig, log *slog.Logger) (*eventfmt.Printer, error) {
	c, err := b.Connect("printer")
	if err != nil {
		return nil, err
	}
	cfg.Logger = log
	return eventfmt.NewPrinter(c, cfg)
}

// eventsOptions is the printer of every bus event on stdout, on with the common --json.
type eventsOptions struct{ on bool }

func (o *eventsOptions) Register(*flag.FlagSet) {}

func (o *eventsOptions) Validate(c *common) error {
	o.on = c.JSON
	return nil
}

func (o *eventsOptions) Build(e env) ([]stage, error) {
	if !o.on {
		return nil, nil
	}
	pr, err := newPrinter(e.Bus, eventfmt.PrinterConfig{Out: e.Stdout, JSON: true, Counters: e.Counters}, e.Log)
	if err != nil {
		return nil, err
	}
	return []stage{pr}, nil
}
