// Package keys reads single keys from the terminal that runs the narrator and sends the
// matching controls on the bus (space describe, p pause, q quit…).
package keys

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/narrator"
)

// keyHelp lists the single-key controls; it is printed at start (not in --transcript mode,
// where only what is heard is printed). '?' says it aloud.
const keyHelp = "keys: space describe now · r repeat · p pause/resume · s stop · + / - detail · . / , faster/slower · ] / [ louder/quieter · ? help · q quit"

// goodbyeWait bounds how long q waits for "Goodbye." to be said.
const goodbyeWait = 3 * time.Second

// Controls reads single keys from the terminal that runs the narrator, without Enter, and sends the
// matching controls on the bus. The terminal is put in cbreak mode (no line editing, no echo;
// Ctrl-C still interrupts and output is unchanged) and restored when Run returns, which it does
// within 100 ms of its context ending (Ctrl-C included). Every control is acknowledged aloud by
// the narrator, so the keys print nothing of their own but failures to reach it.
type Controls struct {
	conn     *bus.Conn
	fd       int
	out      io.Writer
	log      *slog.Logger
	noHelp   bool // do not print keyHelp at start (--transcript)
	paused   bool
	keys     narrator.KeyReader
	goodbyeT time.Duration // default goodbyeWait
}

// Config configures Controls.
type Config struct {
	// Conn is where the controls are sent.
	Conn *bus.Conn
	// FD is the terminal's file descriptor (stdin's).
	FD int
	// Out is where the key help and failures to reach the narrator are printed.
	Out io.Writer
	// NoHelp leaves out the key help at start (--transcript prints only what is heard).
	NoHelp bool
	// Logger is where the keys log. Default: slog.Default().
	Logger *slog.Logger
}

// New returns the single-key controls of the terminal cfg.FD.
func New(cfg Config) *Controls {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return &Controls{conn: cfg.Conn, fd: cfg.FD, out: cfg.Out, log: cfg.Logger, noHelp: cfg.NoHelp}
}

// Run reads keys until ctx ends or q is pressed; q ends the whole run.
func (k *Controls) Run(ctx context.Context) error {
	restore, err := cbreak(k.fd)
	if err != nil {
		k.log.Info("single-key controls are off", "why", err)
		<-ctx.Done()
		return nil
	}
	defer restore()
	if !k.noHelp {
		fmt.Fprintln(k.out, keyHelp)
	}
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
func (k *Controls) key(ctx context.Context, b byte) (quit bool) {
	key, ok := k.keys.Read(b, k.paused)
	switch {
	case !ok:
		return false
	case key.Quit:
		wait := k.goodbyeT
		if wait <= 0 {
			wait = goodbyeWait
		}
		if said, err := announce.SayAndWait(ctx, k.conn, announce.Make(announce.AckQuit), wait); err != nil || !said {
			k.log.Debug("goodbye not confirmed by a speech stage", "err", err)
		}
		return true
	}
	k.send(ctx, key.Control)
	return false
}

// send sends a control; the narrator acknowledges it aloud.
func (k *Controls) send(ctx context.Context, c bus.Control) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	c.ID, c.At = bus.NewID(), time.Now().UTC()
	var rep bus.ControlReply
	if err := k.conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		fmt.Fprintf(k.out, "narrator: %s: %v\n", c.Command, err)
		return
	}
	k.paused = rep.Paused
	k.log.Debug("key", "command", c.Command, "ok", rep.OK, "message", rep.Message, "err", rep.Error)
}
