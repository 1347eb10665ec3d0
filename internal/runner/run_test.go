package runner

import (
	"context"
	"errors"
	"strings"
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

// TestAStuckStageDoesNotHoldTheStop: a stage that ignores the stop is named in the error once
// the stop wait has passed, and All returns instead of hanging.
func TestAStuckStageDoesNotHoldTheStop(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	stuck := Func(func(context.Context) error { <-release; return nil })
	ending := Func(func(context.Context) error { return nil })
	done := make(chan error, 1)
	go func() { done <- allWithin(context.Background(), 50*time.Millisecond, stuck, ending) }()
	select {
	case err := <-done:
		if err == nil || !strings.Contains(err.Error(), "1 stage(s) did not stop") || !strings.Contains(err.Error(), "runner.Func") {
			t.Fatalf("All = %v, want the stuck stage named", err)
		}
	case <-time.After(5 * time.Second): // a hang detector
		t.Fatal("All hung on a stage that does not stop")
	}
}
