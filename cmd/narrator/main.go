// Command narrator watches a camera, describes what changes, and says it aloud. Every stage
// publishes what it does on a NATS bus. Run `narrator help` for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"

	"github.com/narrator-dev/narrator/internal/redact"
	"github.com/narrator-dev/narrator/internal/signals"
)

func main() {
	// A closed stdout (`narrator run --json | head`) is an error to handle, not a signal that
	// kills the process before it can stop its subprocesses and restore the terminal. (Notify,
	// unlike Ignore, leaves SIGPIPE at its default in the subprocesses.)
	signal.Notify(make(chan os.Signal, 1), syscall.SIGPIPE)
	// Ctrl-C and SIGTERM are caught from package init on (one during start-up stops cleanly);
	// a second Ctrl-C kills at once if stopping ever takes too long.
	ctx, stop := signals.Context(context.Background())
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		// A name the user passed is echoed back at most 200 bytes long (a 100 KB --mode once was whole).
		fmt.Fprintln(os.Stderr, "narrator:", redact.Words(err.Error(), 200))
		os.Exit(1)
	}
}
