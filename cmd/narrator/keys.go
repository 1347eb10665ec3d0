package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// keyHelp lists the single-key controls; it is printed at start and on '?'.
const keyHelp = "keys: space describe now · r repeat · p pause/resume · + / - verbosity · ? help · q quit"

// keyControls reads single keys from the terminal that runs the narrator, without Enter, and sends the
// matching controls on the bus. The terminal is put in cbreak mode (no line editing, no echo;
// Ctrl-C still interrupts and output is unchanged) and restored when Run returns, which it does
// within 100 ms of its context ending (Ctrl-C included).
type keyControls struct {
	conn   *bus.Conn
	fd     int
	out    io.Writer
	log    *slog.Logger
	paused bool
}

// Run reads keys until ctx ends or q is pressed; q ends the whole run.
func (k *keyControls) Run(ctx context.Context) error {
	restore, err := cbreak(k.fd)
	if err != nil {
		k.log.Info("single-key controls are off", "why", err)
		<-ctx.Done()
		return nil
	}
	defer restore()
	fmt.Fprintln(k.out, keyHelp)
	buf := make([]byte, 64)
	for ctx.Err() == nil {
		n, err := readKeys(k.fd, buf)
		if err != nil {
			k.log.Warn("single-key controls stopped", "err", err)
			<-ctx.Done()
			return nil
		}
		for _, b := range buf[:n] {
			if k.key(ctx, b) {
				return nil
			}
		}
	}
	return nil
}

// key carries out one key press; it reports whether the key asks to quit.
func (k *keyControls) key(ctx context.Context, b byte) (quit bool) {
	switch b {
	case ' ':
		k.send(ctx, bus.Control{Command: bus.ControlDescribe})
	case 'r', 'R':
		k.send(ctx, bus.Control{Command: bus.ControlRepeat})
	case 'p', 'P':
		cmd := bus.ControlPause
		if k.paused {
			cmd = bus.ControlResume
		}
		k.send(ctx, bus.Control{Command: cmd})
	case '+', '=':
		k.send(ctx, bus.Control{Command: bus.ControlVerbosity, Verbosity: "up"})
	case '-', '_':
		k.send(ctx, bus.Control{Command: bus.ControlVerbosity, Verbosity: "down"})
	case '?', 'h', 'H':
		fmt.Fprintln(k.out, keyHelp)
	case 'q', 'Q':
		fmt.Fprintln(k.out, "narrator: quitting")
		return true
	}
	return false
}

// send sends a control and prints its acknowledgement.
func (k *keyControls) send(ctx context.Context, c bus.Control) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.ID, c.At = bus.NewID(), time.Now().UTC()
	var rep bus.ControlReply
	if err := k.conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		fmt.Fprintf(k.out, "narrator: %s: %v\n", c.Command, err)
		return
	}
	k.paused = rep.Paused
	if !rep.OK {
		fmt.Fprintf(k.out, "narrator: %s: %s\n", c.Command, rep.Error)
		return
	}
	fmt.Fprintf(k.out, "narrator: %s\n", rep.Message)
}
