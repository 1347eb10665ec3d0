// Package ctl is `narrator ctl`: one control sent to a running narrator, its acknowledgement
// and, for describe and ask, the answer.
package ctl

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/redact"
)

// Options say how Send waits and prints.
type Options struct {
	// Timeout bounds the wait for the acknowledgement and the answer.
	Timeout time.Duration
	// JSON prints the reply (and the answer) as JSON lines.
	JSON bool
	// Out is where they are printed.
	Out io.Writer
	// NATSURL is the bus, named in the error when no narrator answers.
	NATSURL string
}

// Send sends c on conn, prints the narrator's acknowledgement and, for describe and ask, waits
// for the answer and prints it.
func Send(ctx context.Context, conn *bus.Conn, c bus.Control, o Options) error {
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	// Subscribe first: the answer can arrive right after the acknowledgement.
	var answers *bus.Queue[bus.Description]
	var err error
	if c.Command == bus.ControlAsk || c.Command == bus.ControlDescribe || c.Command == bus.ControlRead {
		if answers, err = bus.SubscribeEvents[bus.Description](conn, bus.AllDescriptions, bus.QueueConfig{Name: "ctl.answers", Size: 256, Policy: bus.DropOldest}); err != nil {
			return err
		}
		if err := conn.Flush(); err != nil {
			return fmt.Errorf("bus: %w", err)
		}
	}
	var rep bus.ControlReply
	if err := conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		if errors.Is(err, bus.ErrNoResponder) {
			return fmt.Errorf("no narrator answers on %s: is `narrator run --listen %s` running?", redact.URL(o.NATSURL), strings.TrimPrefix(redact.URL(o.NATSURL), "nats://"))
		}
		return fmt.Errorf("%s: %w", c.Command, err)
	}
	if c.Command == bus.ControlStatus && rep.OK {
		return printStatus(ctx, conn, rep, o.JSON, o.Out)
	}
	if o.JSON {
		printJSON(o.Out, rep)
	} else if rep.OK {
		fmt.Fprintln(o.Out, rep.Message)
	}
	if !rep.OK {
		return fmt.Errorf("%s: %s", c.Command, rep.Error)
	}
	if answers == nil || rep.DescribeID == "" {
		return nil
	}
	for {
		d, err := answers.Next(ctx)
		if err != nil {
			return fmt.Errorf("no answer within %s", o.Timeout)
		}
		if d.RequestID != rep.DescribeID || d.Partial {
			continue
		}
		if o.JSON {
			printJSON(o.Out, d)
		} else if d.Error != "" {
			return fmt.Errorf("the model failed: %s", d.Error)
		} else {
			fmt.Fprintln(o.Out, d.Text)
		}
		return nil
	}
}

// Parse turns the command words into a control request.
func Parse(words []string) (bus.Control, error) {
	if len(words) == 0 {
		return bus.Control{}, errors.New("ctl needs a command: describe, read, repeat, pause, resume, stop, ask, verbosity, mode, rate, volume, help or status")
	}
	c := bus.Control{ID: bus.NewID(), Command: words[0], At: time.Now().UTC()}
	rest := words[1:]
	switch c.Command {
	case bus.ControlAsk:
		c.Text = strings.TrimSpace(strings.Join(rest, " "))
		if c.Text == "" {
			return c, errors.New(`ask needs a question: narrator ctl ask "what colour is the cup?"`)
		}
		return c, nil
	case bus.ControlVerbosity:
		if len(rest) != 1 {
			return c, errors.New("verbosity needs one of up, down, short, normal, detailed")
		}
		c.Verbosity = rest[0]
		return c, nil
	case bus.ControlMode:
		if len(rest) != 1 {
			return c, errors.New("mode needs one of narrate, changes, ondemand")
		}
		c.Value = rest[0]
		return c, nil
	case bus.ControlRate, bus.ControlVolume:
		if len(rest) != 1 {
			return c, fmt.Errorf("%s needs one of up, down or a number", c.Command)
		}
		c.Value = rest[0]
		return c, nil
	case bus.ControlDescribe, bus.ControlRead, bus.ControlRepeat, bus.ControlPause, bus.ControlResume, bus.ControlStop, bus.ControlStatus, bus.ControlHelp:
		if len(rest) > 0 {
			return c, fmt.Errorf("%s takes no arguments, got %q", c.Command, rest)
		}
		return c, nil
	}
	return c, fmt.Errorf("unknown command %q: use describe, read, repeat, pause, resume, stop, ask, verbosity, mode, rate, volume, help or status", c.Command)
}

func printJSON(w io.Writer, v any) {
	data, _ := json.Marshal(v)
	fmt.Fprintln(w, string(data))
}
