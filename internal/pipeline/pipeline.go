// Package pipeline runs a pipeline command (`narrator run`, describe, capture, infer, speak) as
// a list of parts. A part is one feature of the pipeline: its flags, the checks of those flags,
// and the stages it builds. A feature adds itself to `narrator run` as a part in a file of its
// own in cmd/narrator, its flags and checks in the package that owns them:
//
//	type webOptions struct{ web.Flags }             // Register(fs) comes from web.Flags
//
//	// Validate checks every flag of the part; nothing may open here.
//	func (o *webOptions) Validate(c *pipeline.Common) error { return o.Flags.Validate(c.Bus.Auth.Token) }
//
//	// Build makes the part's stages on the open bus (e.Bus.Connect, e.Counters, e.Log).
//	func (o *webOptions) Build(e pipeline.Env) ([]runner.Stage, error) { … }
//
// and by one line in the command's list of parts. Every part's Validate runs, in list order,
// before the bus or any stage opens, so a bad option fails before anything starts (before
// speech plays its earcon); then Build runs in list order: subscribers first, producers
// (capture) last, so nothing published at start is missed.
package pipeline

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/cliflag"
	"github.com/narrator-dev/narrator/internal/runner"
)

// Part is one feature of a pipeline command (see the package comment).
type Part interface {
	Register(fs *flag.FlagSet)
	Validate(c *Common) error
	Build(e Env) ([]runner.Stage, error)
}

// Common are the options every pipeline command has; parts read them in Validate (and may
// settle the bus's, as the history does).
type Common struct {
	FS       *flag.FlagSet
	Bus      bus.Flags
	Duration time.Duration
	JSON     bool
	LogLevel string
	// Transcript: stdout carries only what is heard (set by the transcript part).
	Transcript bool
}

// Given reports whether the flag was set on the command line.
func (c *Common) Given(name string) bool { return cliflag.Given(c.FS, name) }

// Env is what every part builds its stages with.
type Env struct {
	Ctx      context.Context
	Bus      *bus.Bus
	Counters *bus.Counters
	Log      *slog.Logger
	Stdout   io.Writer
	Stderr   io.Writer
	JSON     bool // stdout carries only JSON events
	// Transcript prints one line per thing heard on stdout, and nothing else there (--transcript).
	Transcript bool
	// Startup collects what the stages chose, for the spoken start-up summary.
	Startup *Startup
}

// Startup is what the stages chose at start, and the stage that says it once every stage is
// built and before any runs.
type Startup struct {
	announce.Startup
	Announcer *announce.Stage
}

// Command is one command that runs some of the stages.
type Command struct {
	Name, Purpose string
	Embedded      bool // may embed the bus; otherwise --nats is required
	Parts         []Part
}

// Parse registers and parses the flags of every part, then validates them all: nothing is
// open yet when it returns.
func (p Command) Parse(args []string, stderr io.Writer) (*Common, error) {
	c := &Common{FS: NewFlags(p.Name, p.Purpose, stderr)}
	for _, pt := range p.Parts {
		pt.Register(c.FS)
	}
	c.Bus.Register(c.FS, p.Embedded)
	c.FS.DurationVar(&c.Duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	c.FS.BoolVar(&c.JSON, "json", false, "print every bus event as one JSON line on stdout (logs stay on stderr)")
	c.FS.StringVar(&c.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := c.FS.Parse(args); err != nil {
		return nil, err
	}
	if c.FS.NArg() > 0 {
		return nil, fmt.Errorf("%s takes no arguments, got %q", p.Name, c.FS.Args())
	}
	if c.Duration < 0 {
		return nil, fmt.Errorf("--duration %s: use a positive duration, or 0 to run until Ctrl-C", c.Duration)
	}
	for _, pt := range p.Parts {
		if err := pt.Validate(c); err != nil {
			return nil, err
		}
	}
	if err := c.Bus.Validate(); err != nil {
		return nil, err
	}
	if _, err := NewLogger(io.Discard, c.LogLevel); err != nil {
		return nil, err
	}
	return c, nil
}

// Run parses and validates the flags, opens the bus, builds every part's stages and runs them
// with the process's stats until ctx ends or one stops.
func (p Command) Run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	c, err := p.Parse(args, stderr)
	if err != nil {
		return err
	}
	log, err := NewLogger(stderr, c.LogLevel)
	if err != nil {
		return err
	}
	if c.Duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.Duration)
		defer cancel()
	}
	b, err := c.Bus.Open(ctx, log)
	if err != nil {
		return err
	}
	defer b.Close()
	e := Env{Ctx: ctx, Bus: b, Counters: bus.NewCounters(), Log: log, Stdout: stdout, Stderr: stderr, JSON: c.JSON,
		Transcript: c.Transcript, Startup: &Startup{}}
	var stages []runner.Stage
	for _, pt := range p.Parts {
		s, err := pt.Build(e)
		if err != nil {
			closeStages(stages)
			return err
		}
		stages = append(stages, s...)
	}
	host, _ := os.Hostname()
	sc, err := b.Connect("stats")
	if err != nil {
		closeStages(stages)
		return err
	}
	stats := bus.StatsConfig{Process: fmt.Sprintf("narrator %s (pid %d on %s)", p.Name, os.Getpid(), host), Counters: e.Counters, Logger: log}
	if e.Startup.Announcer != nil {
		e.Startup.Announcer.SayStartup(e.Startup.Startup)
	}
	return runner.All(ctx, append(stages, runner.Func(func(ctx context.Context) error { return bus.ReportStats(ctx, sc, stats) }))...)
}

// closeStages runs stages that were built but will not run on an ended context, so each
// releases what it holds (a capture stage closes its source) before the command returns.
func closeStages(stages []runner.Stage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = runner.All(ctx, stages...)
}

// NewFlags returns a flag set whose --help prints the command's purpose and every flag's default.
func NewFlags(name, purpose string, stderr io.Writer) *flag.FlagSet {
	fs := flag.NewFlagSet("narrator "+name, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprintf(stderr, "Usage: narrator %s [flags]\n\n%s\n\nFlags:\n", name, purpose)
		fs.PrintDefaults()
	}
	return fs
}

// NewLogger logs text to stderr at the named level.
func NewLogger(stderr io.Writer, level string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: use debug, info, warn or error", level)
	}
	return slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: l})), nil
}

// WithConn gives a stage its own bus connection; the connection is closed when the bus is.
func WithConn[S any](b *bus.Bus, name string, newStage func(*bus.Conn) (S, error)) (S, error) {
	c, err := b.Connect(name)
	if err != nil {
		var zero S
		return zero, err
	}
	return newStage(c)
}
