package main

import (
	"flag"

	"github.com/narrator-dev/narrator/capture"
)

// captureOptions are the capture stage's part: its flags are capture.Flags.
type captureOptions struct {
	capture.Flags
	// drained: a source that ends does not end the run; the drain part does, once what was
	// in flight was said (run, describe).
	drained bool
}

func (o *captureOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *captureOptions) validate(*common) error { return o.Validate() }

func (o *captureOptions) build(e env) ([]stage, error) {
	g, err := o.Build(e.ctx, e.bus, e.counters, e.log, e.chosenSource)
	if err != nil {
		return nil, err
	}
	if o.drained {
		return []stage{untilCancelled(g)}, nil
	}
	return []stage{g}, nil
}
