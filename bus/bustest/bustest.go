// Package bustest starts real embedded NATS servers for tests and offers polling helpers, so
// tests synchronise on conditions instead of sleeping.
package bustest

import (
	"context"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Server starts an in-process embedded server that is shut down when the test ends.
func Server(t testing.TB) *bus.Server {
	t.Helper()
	srv, err := bus.StartServer(bus.ServerConfig{})
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// ServerWith starts an embedded server configured by cfg that is shut down when the test ends;
// e.g. ServerConfig{StoreDir: t.TempDir()} for one with JetStream.
func ServerWith(t testing.TB, cfg bus.ServerConfig) *bus.Server {
	t.Helper()
	srv, err := bus.StartServer(cfg)
	if err != nil {
		t.Fatalf("start embedded NATS: %v", err)
	}
	t.Cleanup(srv.Shutdown)
	return srv
}

// Conn opens a connection to srv that is closed when the test ends.
func Conn(t testing.TB, srv *bus.Server, name string) *bus.Conn {
	t.Helper()
	c, err := srv.Connect(name)
	if err != nil {
		t.Fatalf("connect %s: %v", name, err)
	}
	t.Cleanup(c.Close)
	return c
}

// Collect subscribes to JSON events of type T on subject with room for n of them.
func Collect[T any](t testing.TB, c *bus.Conn, subject string, n int) *bus.Queue[T] {
	t.Helper()
	q, err := bus.SubscribeEvents[T](c, subject, bus.QueueConfig{Name: "test", Size: n, Policy: bus.DropNewest})
	if err != nil {
		t.Fatalf("subscribe %s: %v", subject, err)
	}
	if err := c.Flush(); err != nil {
		t.Fatalf("flush: %v", err)
	}
	return q
}

// Next waits up to timeout for the next message in q.
func Next[T any](t testing.TB, q *bus.Queue[T], timeout time.Duration) T {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	v, err := q.Next(ctx)
	if err != nil {
		t.Fatalf("no message within %s", timeout)
	}
	return v
}

// Eventually polls cond every 5ms until it holds, failing the test after timeout.
func Eventually(t testing.TB, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// Run runs s in the background until the test ends; then it stops s, waits for it to return
// and fails the test if it returned an error.
func Run(t testing.TB, s interface{ Run(context.Context) error }) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	})
}
