package main

import (
	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/inference"
)

// spoken is what the stages chose at start, for the start-up announcements, and the stage that
// says them.
type spoken struct {
	startup   announce.Startup
	announcer *announce.Stage
}

// sayStartup says the start-up announcements, once every stage is built and before any runs.
func (s *spoken) sayStartup() {
	if s.announcer != nil {
		s.announcer.SayStartup(s.startup)
	}
}

// chosenSource records a camera's source for the start-up summary.
func (e env) chosenSource(cam capture.NamedSource, src capture.Source) {
	_, demo := src.(*capture.Demo)
	e.spoken.startup.Sources = append(e.spoken.startup.Sources, announce.Source{Camera: cam.Name, Spec: cam.Spec, Demo: demo})
}

// chosenDescriber records the describer for the start-up summary; a heuristic that --backend
// auto settled for is a fallback.
func (e env) chosenDescriber(backend string, info inference.Info) {
	e.spoken.startup.Describer = &announce.Describer{Backend: info.Backend, Model: info.Model, IsModel: info.IsModel, Fallback: backend == "auto" && !info.IsModel}
}
