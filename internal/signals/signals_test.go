package signals

import (
	"context"
	"syscall"
	"testing"
	"time"
)

// TestSignalBeforeContextIsKept: a SIGINT that arrives while the program is still starting,
// before it asks for its context, cancels that context instead of killing the process.
func TestSignalBeforeContextIsKept(t *testing.T) {
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); len(caught) == 0; { // the signal is waiting
		if time.Now().After(deadline) {
			t.Fatal("SIGINT never reached the handler installed by init")
		}
		time.Sleep(time.Millisecond)
	}
	ctx, stop := Context(context.Background())
	defer stop()
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("the early SIGINT was lost")
	}
}
