package main

import (
	"flag"
	"fmt"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

// transcriptOptions are the flags of the transcript for screen readers.
type transcriptOptions struct {
	on bool
}

func (o *transcriptOptions) Register(fs *flag.FlagSet) {
	fs.BoolVar(&o.on, "transcript", false, "for screen readers: print one line per thing heard on stdout and nothing else; logs go to stderr at level error unless --log-level is given, and the keys print nothing")
}

// validate refuses --transcript with --json and, in transcript mode, logs at level error
// unless --log-level was given.
func (o *transcriptOptions) Validate(c *common) error {
	if !o.on {
		return nil
	}
	if c.JSON {
		return fmt.Errorf("--transcript and --json both want stdout: use one")
	}
	c.Transcript = true
	if !c.Given("log-level") {
		c.LogLevel = "error"
	}
	return nil
}

// build makes the transcript printer; none when off, or when speech is printed (asked for or
// fallen back to), since the printed speech is the transcript already. The speech stage is
// built first, so its choice is known.
func (o *transcriptOptions) Build(e env) ([]stage, error) {
	if !o.on || e.Startup.Speech.Mode == announce.SpeechText {
		return nil, nil
	}
	t, err := pipeline.WithConn(e.Bus, "transcript", func(c *bus.Conn) (*announce.Transcript, error) {
		return announce.NewTranscript(c, e.Stdout, e.Log)
	})
	if err != nil {
		return nil, err
	}
	return []stage{t}, nil
}
