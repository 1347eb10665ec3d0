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

func (o *transcriptOptions) validate(json bool) error {
	if o.on && json {
		return fmt.Errorf("--transcript and --json both want stdout: use one")
	}
	return nil
}

// logLevel is the log level: error in transcript mode unless --log-level was given.
func (o *transcriptOptions) logLevel(fs *flag.FlagSet, level string) string {
	if !o.on {
		return level
	}
	given := false
	fs.Visit(func(f *flag.Flag) { given = given || f.Name == "log-level" })
	if given {
		return level
	}
	return "error"
}

// stages is the transcript printer; none when off, or when speech is printed (asked for or
// fallen back to), since the printed speech is the transcript already. The speech stage is
// built first, so its choice is known.
func (o *transcriptOptions) stages(e env) ([]stage, error) {
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
