package main

import (
	"flag"
	"fmt"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// transcriptOptions are the flags of the transcript for screen readers.
type transcriptOptions struct {
	on bool
}

func (o *transcriptOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.on, "transcript", false, "for screen readers: print one line per thing heard on stdout and nothing else; logs go to stderr at level error unless --log-level is given, and the keys print nothing")
}

// validate refuses --transcript with --json and, in transcript mode, logs at level error
// unless --log-level was given.
func (o *transcriptOptions) validate(c *common) error {
	if !o.on {
		return nil
	}
	if c.json {
		return fmt.Errorf("--transcript and --json both want stdout: use one")
	}
	c.transcript = true
	if !c.given("log-level") {
		c.logLevel = "error"
	}
	return nil
}

// build makes the transcript printer; none when off, or when speech is printed (asked for or
// fallen back to), since the printed speech is the transcript already. The speech stage is
// built first, so its choice is known.
func (o *transcriptOptions) build(e env) ([]stage, error) {
	if !o.on || e.spoken.startup.Speech.Mode == announce.SpeechText {
		return nil, nil
	}
	t, err := withConn(e.bus, "transcript", func(c *bus.Conn) (*announce.Transcript, error) {
		return announce.NewTranscript(c, e.stdout, e.log)
	})
	if err != nil {
		return nil, err
	}
	return []stage{t}, nil
}
