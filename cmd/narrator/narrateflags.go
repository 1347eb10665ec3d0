package main

import (
	"flag"
	"os"

	"github.com/narrator-dev/narrator/bus"
	keyctl "github.com/narrator-dev/narrator/internal/keys"
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/narrator"
	"golang.org/x/term"
)

// narrateOptions are the narration stage's part: its flags are narrator.Flags, and --keys.
type narrateOptions struct {
	narrator.Flags
	keys bool
}

func (o *narrateOptions) Register(fs *flag.FlagSet) {
	o.Flags.Register(fs)
	fs.BoolVar(&o.keys, "keys", true, "single-key controls when stdin is a terminal: space describe, r repeat, t read text, p pause, +/- verbosity, ? help, q quit")
}

func (o *narrateOptions) Validate(*common) error { return o.Flags.Validate() }

func (o *narrateOptions) Build(e env) ([]stage, error) {
	cfg, err := o.Config(e.Counters, e.Log)
	if err != nil {
		return nil, err
	}
	n, err := pipeline.WithConn(e.Bus, "narrator", func(c *bus.Conn) (*narrator.Stage, error) { return narrator.New(c, cfg) })
	if err != nil {
		return nil, err
	}
	stages := []stage{n}
	if o.keys && term.IsTerminal(int(os.Stdin.Fd())) {
		c, err := e.Bus.Connect("keys")
		if err != nil {
			return nil, err
		}
		stages = append(stages, keyctl.New(keyctl.Config{Conn: c, FD: int(os.Stdin.Fd()), Out: e.Stderr, Logger: e.Log, NoHelp: e.Transcript}))
	}
	return stages, nil
}
