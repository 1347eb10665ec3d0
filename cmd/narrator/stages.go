package main

import (
	"context"
	"flag"
	"io"
	"log/slog"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	_ "github.com/narrator-dev/narrator/inference/mlx"    // registers --backend mlx
	_ "github.com/narrator-dev/narrator/inference/openai" // registers --backend openai
	"github.com/narrator-dev/narrator/internal/runner"
	"github.com/narrator-dev/narrator/speech"
)

// env is what every stage is built with.
type env struct {
	ctx      context.Context
	bus      *bus.Bus
	counters *bus.Counters
	log      *slog.Logger
	stdout   io.Writer
	stderr   io.Writer
	json     bool // stdout carries only JSON events
	// transcript prints one line per thing heard on stdout, and nothing else there (--transcript).
	transcript bool
	// spoken collects what the stages chose, for the spoken start-up summary.
	spoken *spoken
}

// captureOptions, the flags of the capture stage, are in captureflags.go.

// inferOptions are the inference stage's part: its flags are inference.Flags.
type inferOptions struct {
	inference.Flags
}

func (o *inferOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *inferOptions) validate(*common) error { return o.Validate() }

func (o *inferOptions) build(e env) ([]stage, error) {
	d, err := inference.Open(e.ctx, o.Options(e.counters, e.log))
	if err != nil {
		return nil, err
	}
	e.chosenDescriber(o.Backend, d.Info())
	c, err := e.bus.Connect("inference")
	if err != nil {
		return nil, err
	}
	i, err := inference.New(c, o.Config(d, e.counters, e.log))
	if err != nil {
		return nil, err
	}
	svc, err := inference.AddService(c, d.Info(), e.counters)
	if err != nil {
		return nil, err
	}
	return []stage{i, stageFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return svc.Stop()
	})}, nil
}

// narrateOptions, the flags of the narration stage, are in narrateflags.go.

// speakOptions are the speech stage's part: its flags are speech.Flags and announce.Flags.
type speakOptions struct {
	speech.Flags
	announce announce.Flags
}

func (o *speakOptions) register(fs *flag.FlagSet) {
	o.Register(fs)
	o.announce.Register(fs)
}

func (o *speakOptions) validate(*common) error {
	if err := o.announce.Validate(); err != nil {
		return err
	}
	return o.Validate()
}

func (o *speakOptions) build(e env) ([]stage, error) {
	out := e.stdout
	if e.json {
		out = e.stderr // stdout carries only JSON events
	}
	fallback := out
	if e.transcript {
		fallback = io.Discard // the transcript printer prints what is said already
	}
	var chosen speech.Choice
	speaker, err := speech.Open(e.ctx, o.Options(out, fallback, e.log, &chosen))
	e.spoken.startup.Speech = chosen.Announced()
	if err != nil {
		return nil, err
	}
	a, err := withConn(e.bus, "announce", func(c *bus.Conn) (*announce.Stage, error) { return o.announce.New(c, e.counters, e.log) })
	if err != nil {
		if speaker != nil {
			_ = speaker.Close()
		}
		return nil, err
	}
	e.spoken.announcer = a
	if speaker == nil {
		return []stage{a}, nil
	}
	s, err := withConn(e.bus, "speech", func(c *bus.Conn) (*speech.Stage, error) {
		return speech.New(c, o.Config(speaker, o.announce.Parsed(), e.counters, e.log))
	})
	if err != nil {
		_ = speaker.Close()
		return nil, err
	}
	return []stage{a, s}, nil
}

// stage is anything that runs until its context ends.
type stage = runner.Stage

// stageFunc adapts a function to stage.
type stageFunc = runner.Func

// withConn gives a stage its own bus connection; the connection is closed when the bus is.
func withConn[S any](b *bus.Bus, name string, newStage func(*bus.Conn) (S, error)) (S, error) {
	c, err := b.Connect(name)
	if err != nil {
		var zero S
		return zero, err
	}
	return newStage(c)
}

// statsStage publishes the process's counters when they change and answers stats requests.
func statsStage(e env, process string) (stage, error) {
	c, err := e.bus.Connect("stats")
	if err != nil {
		return nil, err
	}
	return stageFunc(func(ctx context.Context) error {
		return bus.ReportStats(ctx, c, bus.StatsConfig{Process: process, Counters: e.counters, Logger: e.log})
	}), nil
}

// historyOptions are the flags of the history the narrator keeps (JetStream).
type historyOptions struct{ bus.HistoryFlags }

func (o *historyOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *historyOptions) validate(c *common) error { return o.Validate(&c.bus) }

func (o *historyOptions) build(e env) ([]stage, error) {
	r, err := o.Recorder(e.bus, e.counters, e.log)
	if r == nil || err != nil {
		return nil, err
	}
	return []stage{r}, nil
}
