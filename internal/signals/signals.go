// Package signals catches Ctrl-C (SIGINT) and SIGTERM from the moment the process starts: its
// init runs before the heavier packages' (the Go runtime initializes packages whose imports are
// ready in import-path order), so an interrupt that arrives while the program is still
// starting stops it cleanly instead of killing it before it can stop its subprocesses.
package signals

import (
	"context"
	"os"
	"os/signal"
	"syscall"
)

// caught receives SIGINT and SIGTERM from init on.
var caught = make(chan os.Signal, 2)

func init() {
	signal.Notify(caught, os.Interrupt, syscall.SIGTERM)
}

// Context returns a context cancelled by the first SIGINT or SIGTERM, including one that
// arrived before Context was called. After the first, the default action is restored, so a
// second signal kills the process at once if stopping takes too long. stop releases the
// handler.
func Context(parent context.Context) (ctx context.Context, stop func()) {
	ctx, cancel := context.WithCancel(parent)
	done := make(chan struct{})
	go func() {
		select {
		case <-caught:
			signal.Reset(os.Interrupt, syscall.SIGTERM)
			cancel()
		case <-done:
		case <-ctx.Done():
		}
	}()
	return ctx, func() {
		close(done)
		cancel()
		signal.Stop(caught)
	}
}
