package main

import (
	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/capture"
)

// captureOptions are the capture stage's part: its flags are capture.Flags.
type captureOptions struct {
	capture.Flags
	// drained: a source that ends does not end the run; the drain part does, once what was
	// in flight was said (run, describe).
	drained bool
}

func (o *captureOptions) Validate(*common) error { return o.Flags.Validate() }

func (o *captureOptions) Build(e env) ([]stage, error) {
	g, err := o.Flags.Build(e.Ctx, e.Bus, e.Counters, e.Log, func(cam capture.NamedSource, src capture.Source) {
		_, demo := src.(*capture.Demo) // for the start-up summary
		e.Startup.Sources = append(e.Startup.Sources, announce.Source{Camera: cam.Name, Spec: cam.Spec, Demo: demo})
	})
	if err != nil {
		return nil, err
	}
	if o.drained {
		return []stage{untilCancelled(g)}, nil
	}
	return []stage{g}, nil
}
