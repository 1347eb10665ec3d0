package runner

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.uber.org/goleak"
)

func TestOneStoppingStopsAll(t *testing.T) {
	defer goleak.VerifyNone(t)
	boom := errors.New("boom")
	blocked := Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	failing := Func(func(context.Context) error { return boom })
	done := make(chan error, 1)
	go func() { done <- All(context.Background(), blocked, failing, blocked) }()
	select {
	case err := <-done:
		if !errors.Is(err, boom) {
			t.Fatalf("All = %v, want the failing stage's error", err)
		}
	case <-time.After(5 * time.Second): // a hang detector
		t.Fatal("All did not return after a stage stopped")
	}
}

func TestContextEndStopsAll(t *testing.T) {
	defer goleak.VerifyNone(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	blocked := Func(func(ctx context.Context) error { <-ctx.Done(); return nil })
	if err := All(ctx, blocked, blocked); err != nil {
		t.Fatalf("All = %v, want nil", err)
	}
}
