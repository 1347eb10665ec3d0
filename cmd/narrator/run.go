package main

// The pipeline commands (run, describe, capture, infer, speak) are lists of parts. A part is
// one feature of the pipeline: its flags, the checks of those flags, and the stages it builds.
// A feature adds itself to `narrator run` as a part in a file of its own:
//
//	type webOptions struct{ addr string }
//
//	func (o *webOptions) register(fs *flag.FlagSet) { fs.StringVar(&o.addr, "web", "", "…") }
//
//	// validate checks every flag of the part; nothing may open here.
//	func (o *webOptions) validate(c *common) error { … }
//
//	// build makes the part's stages on the open bus (e.bus.connect, e.counters, e.log).
//	func (o *webOptions) build(e env) ([]stage, error) { … }
//
// and by one line in the command's list below: &webOptions{}. Every part's validate runs, in
// list order, before the bus or any stage opens, so a bad option fails before anything starts
// (before speech plays its earcon); then build runs in list order: subscribers first, producers
// (capture) last, so nothing published at start is missed.

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/runner"
)

// part is one feature of a pipeline command (see the top of this file).
type part interface {
	register(fs *flag.FlagSet)
	validate(c *common) error
	build(e env) ([]stage, error)
}

// common are the options every pipeline command has; parts read them in validate (and may
// settle the bus's, as the history does).
type common struct {
	fs       *flag.FlagSet
	bus      bus.Flags
	duration time.Duration
	json     bool
	logLevel string
	// transcript: stdout carries only what is heard (set by the transcript part).
	transcript bool
}

// given reports whether the flag was set on the command line.
func (c *common) given(name string) bool {
	set := false
	c.fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

// pipeline is one command that runs some of the stages.
type pipeline struct {
	name, purpose string
	embedded      bool // may embed the bus; otherwise --nats is required
	parts         []part
}

const runPurpose = "Runs the whole pipeline in one process: capture, describe, narrate and speak, on an\nembedded NATS bus (or the one named by --nats). Ctrl-C stops it."

func runNarration(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	capture, speak, infer := &captureOptions{drained: true}, &speakOptions{}, &inferOptions{}
	return pipeline{name: "run", purpose: runPurpose, embedded: true, parts: []part{
		&eventsOptions{}, &historyOptions{}, speak, &narrateOptions{}, infer, &readingOptions{infer: infer}, &transcriptOptions{},
		&drainOptions{capture: capture, speak: speak}, capture, &metricsOptions{}, &webOptions{speak: speak},
	}}.run(ctx, args, stdout, stderr)
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipeline{
		name:    "capture",
		purpose: "Runs only the capture stage: publishes a source's new scenes as frames on the bus at --nats.",
		parts:   []part{&eventsOptions{}, &captureOptions{}, &metricsOptions{}, &webOptions{}},
	}.run(ctx, args, stdout, stderr)
}

func runInfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	infer := &inferOptions{inference.Flags{OwnsMaxAge: true}}
	return pipeline{
		name:    "infer",
		purpose: "Runs only the inference stage against the bus at --nats. Several infer processes share\nthe frames: each frame goes to one of them.",
		parts:   []part{&eventsOptions{}, infer, &readingOptions{infer: infer}, &metricsOptions{}, &webOptions{}},
	}.run(ctx, args, stdout, stderr)
}

func runSpeak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	speak := &speakOptions{}
	return pipeline{
		name:    "speak",
		purpose: "Runs the narration policy and the speech stage against the bus at --nats: it decides what\nis worth saying and says it here.",
		parts: []part{&eventsOptions{}, &historyOptions{}, speak, &narrateOptions{}, &transcriptOptions{},
			&metricsOptions{}, &webOptions{speak: speak}},
	}.run(ctx, args, stdout, stderr)
}

// parse registers and parses the flags of every part, then validates them all: nothing is
// open yet when it returns.
func (p pipeline) parse(args []string, stderr io.Writer) (*common, error) {
	c := &common{fs: newFlags(p.name, p.purpose, stderr)}
	for _, pt := range p.parts {
		pt.register(c.fs)
	}
	c.bus.Register(c.fs, p.embedded)
	c.fs.DurationVar(&c.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	c.fs.BoolVar(&c.json, "json", false, "print every bus event as one JSON line on stdout (logs stay on stderr)")
	c.fs.StringVar(&c.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := c.fs.Parse(args); err != nil {
		return nil, err
	}
	if c.fs.NArg() > 0 {
		return nil, fmt.Errorf("%s takes no arguments, got %q", p.name, c.fs.Args())
	}
	if c.duration < 0 {
		return nil, fmt.Errorf("--duration %s: use a positive duration, or 0 to run until Ctrl-C", c.duration)
	}
	for _, pt := range p.parts {
		if err := pt.validate(c); err != nil {
			return nil, err
		}
	}
	if err := c.bus.Validate(); err != nil {
		return nil, err
	}
	if _, err := newLogger(io.Discard, c.logLevel); err != nil {
		return nil, err
	}
	return c, nil
}

func (p pipeline) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := p.parse(args, stderr)
	if err != nil {
		return err
	}
	log, err := newLogger(stderr, c.logLevel)
	if err != nil {
		return err
	}
	if c.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.duration)
		defer cancel()
	}
	b, err := c.bus.Open(ctx, log)
	if err != nil {
		return err
	}
	defer b.Close()
	e := env{ctx: ctx, bus: b, counters: bus.NewCounters(), log: log, stdout: stdout, stderr: stderr, json: c.json,
		transcript: c.transcript, spoken: &spoken{}}
	var stages []stage
	for _, pt := range p.parts {
		s, err := pt.build(e)
		if err != nil {
			closeStages(stages)
			return err
		}
		stages = append(stages, s...)
	}
	host, _ := os.Hostname()
	st, err := statsStage(e, fmt.Sprintf("narrator %s (pid %d on %s)", p.name, os.Getpid(), host))
	if err != nil {
		closeStages(stages)
		return err
	}
	e.spoken.sayStartup()
	return runner.All(ctx, append(stages, st)...)
}

// closeStages runs stages that were built but will not run on an ended context, so each
// releases what it holds (a capture stage closes its source) before the command returns.
func closeStages(stages []stage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = runner.All(ctx, stages...)
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
