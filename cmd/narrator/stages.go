package main

import (
	"context"
	"flag"
	"io"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	_ "github.com/narrator-dev/narrator/inference/mlx"    // registers --backend mlx
	_ "github.com/narrator-dev/narrator/inference/openai" // registers --backend openai
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/internal/runner"
	"github.com/narrator-dev/narrator/speech"
)

// inferOptions are the inference stage's part: its flags are inference.Flags.
type inferOptions struct {
	inference.Flags
}

func (o *inferOptions) Validate(*common) error { return o.Flags.Validate() }

func (o *inferOptions) Build(e env) ([]stage, error) {
	d, err := inference.Open(e.Ctx, o.Options(e.Counters, e.Log))
	if err != nil {
		return nil, err
	}
	info := d.Info() // for the start-up summary; a heuristic that --backend auto settled for is a fallback
	e.Startup.Describer = &announce.Describer{Backend: info.Backend, Model: info.Model, IsModel: info.IsModel, Fallback: o.Backend == inference.BackendAuto && !info.IsModel}
	c, err := e.Bus.Connect("inference")
	if err != nil {
		return nil, err
	}
	i, err := inference.New(c, o.Config(d, e.Counters, e.Log))
	if err != nil {
		return nil, err
	}
	svc, err := inference.AddService(c, info, e.Counters)
	if err != nil {
		return nil, err
	}
	return []stage{i, stageFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return svc.Stop()
	})}, nil
}

// speakOptions are the speech stage's part: its flags are speech.Flags and announce.Flags.
type speakOptions struct {
	speech.Flags
	announce announce.Flags
}

func (o *speakOptions) Register(fs *flag.FlagSet) {
	o.Flags.Register(fs)
	o.announce.Register(fs)
}

func (o *speakOptions) Validate(*common) error {
	if err := o.announce.Validate(); err != nil {
		return err
	}
	return o.Flags.Validate()
}

func (o *speakOptions) Build(e env) ([]stage, error) {
	out := e.Stdout
	if e.JSON {
		out = e.Stderr // stdout carries only JSON events
	}
	fallback := out
	if e.Transcript {
		fallback = io.Discard // the transcript printer prints what is said already
	}
	var chosen speech.Choice
	speaker, err := speech.Open(e.Ctx, o.Options(out, fallback, e.Log, &chosen))
	e.Startup.Speech = chosen.Announced()
	if err != nil {
		return nil, err
	}
	a, err := pipeline.WithConn(e.Bus, "announce", func(c *bus.Conn) (*announce.Stage, error) { return o.announce.New(c, e.Counters, e.Log) })
	if err != nil {
		if speaker != nil {
			_ = speaker.Close()
		}
		return nil, err
	}
	e.Startup.Announcer = a
	if speaker == nil {
		return []stage{a}, nil
	}
	s, err := pipeline.WithConn(e.Bus, "speech", func(c *bus.Conn) (*speech.Stage, error) {
		return speech.New(c, o.Config(speaker, o.announce.Parsed(), e.Counters, e.Log))
	})
	if err != nil {
		_ = speaker.Close()
		return nil, err
	}
	return []stage{a, s}, nil
}

// stageFunc adapts a function to stage.
type stageFunc = runner.Func

// historyOptions are the flags of the history the narrator keeps (JetStream).
type historyOptions struct{ bus.HistoryFlags }

func (o *historyOptions) Validate(c *common) error { return o.HistoryFlags.Validate(&c.Bus) }

func (o *historyOptions) Build(e env) ([]stage, error) {
	r, err := o.Recorder(e.Bus, e.Counters, e.Log)
	if r == nil || err != nil {
		return nil, err
	}
	return []stage{r}, nil
}
