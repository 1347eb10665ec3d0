// Command narrator watches a camera, describes what changes, and says it aloud. Every stage
// publishes what it does on a NATS bus. Run `narrator help` for the commands.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "narrator:", err)
		os.Exit(1)
	}
}
