package eventfmt

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"syscall"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// ShutdownGrace is how long, once its context ended, a Printer still prints what the bus
// delivers: the events of a run's last moments (the speech finished event that ended a
// `describe`) were published before the stop and are on their way.
const ShutdownGrace = 200 * time.Millisecond

// PrinterConfig configures a Printer.
type PrinterConfig struct {
	// Out is where the lines go.
	Out io.Writer
	// JSON prints JSON lines; otherwise Human lines.
	JSON bool
	// Subject is the subjects to print. Default: bus.AllEvents.
	Subject string
	// HideStats leaves out stats and stats requests.
	HideStats bool
	// Counters counts the events dropped because the printer could not keep up (may be nil).
	Counters *bus.Counters
	// Logger is where the printer logs. Default: slog.Default().
	Logger *slog.Logger
}

// Printer writes bus events to a terminal or a pipe, as they arrive.
type Printer struct {
	cfg  PrinterConfig
	msgs *bus.Queue[bus.Message]
}

// NewPrinter subscribes on conn; Run prints.
func NewPrinter(conn *bus.Conn, cfg PrinterConfig) (*Printer, error) {
	if cfg.Subject == "" {
		cfg.Subject = bus.AllEvents
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	q, err := bus.SubscribeRaw(conn, cfg.Subject, bus.QueueConfig{Name: "printer", Size: 1024, Policy: bus.DropNewest, Counters: cfg.Counters})
	if err != nil {
		return nil, err
	}
	return &Printer{cfg: cfg, msgs: q}, nil
}

// Run prints events until ctx ends (and what arrives in the shutdown grace after), then
// reports how many it had to drop. A reader that went away (`narrator run --json | head`)
// stops it cleanly, like Ctrl-C.
func (p *Printer) Run(ctx context.Context) error {
	stopped := false
	grace := context.Background()
	defer func() {
		if n := p.msgs.Dropped(); n > 0 {
			p.cfg.Logger.Warn("printer could not keep up", "dropped", n)
		}
	}()
	for {
		m, err := p.msgs.Next(ctx)
		if err != nil && !stopped {
			stopped = true
			var cancel context.CancelFunc
			grace, cancel = context.WithTimeout(context.Background(), ShutdownGrace)
			defer cancel()
		}
		if err != nil {
			if m, err = p.msgs.Next(grace); err != nil {
				return nil
			}
		}
		if p.cfg.HideStats && bus.IsStatsSubject(m.Subject) {
			continue
		}
		line := ""
		if p.cfg.JSON {
			line = JSON(m)
		} else {
			line = Human(m, time.Now())
		}
		if line == "" {
			continue
		}
		if _, err := fmt.Fprintln(p.cfg.Out, line); err != nil {
			if errors.Is(err, syscall.EPIPE) {
				p.cfg.Logger.Info("the reader of the events went away; stopping")
				return nil
			}
			return fmt.Errorf("print event: %w", err)
		}
	}
}
