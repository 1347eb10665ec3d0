package main

import (
	"flag"
	"io"
	"strings"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/speech"
)

// announceOptions are the flags of the spoken announcements.
type announceOptions struct {
	level string
}

func (o *announceOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.level, "announce", announce.DefaultLevel, "what the narrator says about itself: all (start-up summary, fallbacks, failures and recoveries), errors (only fallbacks, failures and recoveries), none; acknowledgements of keys and commands are always said")
}

// parsed is the validated --announce level.
func (o *announceOptions) parsed() announce.Level {
	level, _ := announce.ParseLevel(o.level) // validate refused a bad one
	return level
}

// fallbackText is where speech is printed when the audio output fails while running: nowhere
// in --transcript mode, whose printer prints what is said already, else where text mode prints.
func fallbackText(e env, out io.Writer) io.Writer {
	if e.transcript {
		return io.Discard
	}
	return out
}

func (o *announceOptions) validate() error {
	_, err := announce.ParseLevel(o.level)
	return err
}

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

// announcer builds the stage that says the start-up choices and announces what the bus reports.
func (o *announceOptions) announcer(e env) (stage, error) {
	level, err := announce.ParseLevel(o.level)
	if err != nil {
		return nil, err
	}
	a, err := withConn(e.bus, "announce", func(c *bus.Conn) (*announce.Stage, error) {
		return announce.New(c, announce.Config{Level: level, Counters: e.counters, Logger: e.log})
	})
	if err != nil {
		return nil, err
	}
	e.spoken.announcer = a
	return a, nil
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

// chosenSpeech records the speech output for the start-up summary.
func (e env) chosenSpeech(c speech.Choice) {
	mode := c.Mode
	switch c.Mode {
	case speech.ModePortAudio:
		mode = announce.SpeechAudio
	case speech.ModeAuto:
		mode = announce.SpeechAudio
	}
	e.spoken.startup.Speech = announce.Speech{Mode: mode, Synthesizer: strings.TrimPrefix(c.Synthesizer, "portaudio/"), Voice: c.Voice, Fallback: c.Fallback}
}
