package announce

import (
	"flag"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
)

// Flags are the command-line option of what the narrator says about itself (--announce).
type Flags struct {
	Level string
}

// Register adds --announce to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Level, "announce", DefaultLevel, "what the narrator says about itself: all (start-up summary, fallbacks, failures and recoveries), errors (only fallbacks, failures and recoveries), none; acknowledgements of keys and commands are always said")
}

// Validate checks --announce before anything opens.
func (f *Flags) Validate() error {
	_, err := ParseLevel(f.Level)
	return err
}

// Parsed is the level Validate accepted.
func (f *Flags) Parsed() Level {
	level, _ := ParseLevel(f.Level)
	return level
}

// New builds the stage that says the start-up summary and announces what the bus reports.
func (f *Flags) New(c *bus.Conn, counters *bus.Counters, log *slog.Logger) (*Stage, error) {
	level, err := ParseLevel(f.Level)
	if err != nil {
		return nil, err
	}
	return New(c, Config{Level: level, Counters: counters, Logger: log})
}
