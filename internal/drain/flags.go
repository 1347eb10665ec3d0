package drain

import (
	"flag"
	"fmt"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Flags are the command-line option of the wait for what is in flight (--drain).
type Flags struct {
	Timeout time.Duration
}

// Register adds --drain to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.DurationVar(&f.Timeout, "drain", DefaultTimeout, "when every source has ended (a file without --loop), wait at most this long for the descriptions and speech in flight, then stop, saying so if they were cut short")
}

// Validate checks --drain before anything opens.
func (f *Flags) Validate() error {
	if f.Timeout < 0 {
		return fmt.Errorf("--drain %s: use a positive duration (0: the default)", f.Timeout)
	}
	return nil
}

// New makes the waiter for cameras on conn; speech says whether a speech stage reports on the
// bus.
func (f *Flags) New(conn *bus.Conn, cameras []string, speech bool, log *slog.Logger) (*Waiter, error) {
	return New(conn, Config{Cameras: cameras, Timeout: f.Timeout, Speech: speech, Logger: log})
}
