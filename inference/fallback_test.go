package inference

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// flakyModel is a model whose server can be switched off.
type flakyModel struct{ down atomic.Bool }

func (m *flakyModel) Info() Info { return Info{Backend: "flaky", Model: "m", IsModel: true} }

func (m *flakyModel) Describe(context.Context, bus.Frame, func(string)) (Result, error) {
	if m.down.Load() {
		return Result{}, fmt.Errorf("reach model server: %w: connection refused", ErrUnavailable)
	}
	return Result{Text: "A model's description."}, nil
}

func TestFallbackDegradesAndSwitchesBack(t *testing.T) {
	leakCheck(t)
	m := &flakyModel{}
	var connects atomic.Int32
	logs := &bustest.SyncBuffer{}
	f := NewFallback(m, func(context.Context) (Describer, error) {
		connects.Add(1)
		if m.down.Load() {
			return nil, ErrUnavailable
		}
		return m, nil
	}, NewHeuristic(), slog.New(slog.NewTextHandler(logs, nil)))
	f.first, f.max = time.Millisecond, 4*time.Millisecond
	srv := bustest.Server(t)
	conn := bustest.Conn(t, srv, "inference")
	states := bustest.Collect[bus.WorkerState](t, bustest.Conn(t, srv, "test"), bus.SubjectWorkers, 8)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, conn) }()
	defer func() { cancel(); <-done }()

	frame := scene(t, beige, nil)
	if res, err := f.Describe(context.Background(), frame, nil); err != nil || res.Text != "A model's description." {
		t.Fatalf("model up: %q, %v", res.Text, err)
	}
	m.down.Store(true)
	res, err := f.Describe(context.Background(), frame, nil)
	if err != nil || res.Text == "" || res.Text == "A model's description." || f.Info().Backend != "heuristic" {
		t.Fatalf("model down: %q, %v, describing with %+v", res.Text, err, f.Info())
	}
	if !strings.Contains(logs.String(), "cannot be reached; describing with the heuristic") {
		t.Fatalf("not said:\n%s", logs)
	}
	bustest.Eventually(t, 5*time.Second, "retries in the background", func() bool { return connects.Load() >= 2 })
	m.down.Store(false)
	bustest.Eventually(t, 5*time.Second, "the switch back", func() bool { return f.Info().Backend == "flaky" })
	if !strings.Contains(logs.String(), "the model answers again") {
		t.Fatalf("switch back not said:\n%s", logs)
	}
	// The model's state is published as a worker's: restarting (the model-down earcon), then ready.
	if w := bustest.Next(t, states, 5*time.Second); w.State != bus.WorkerRestarting || w.Code != "unreachable" || w.Model != "m" || w.StandIn != "heuristic" {
		t.Fatalf("first state %+v, want restarting", w)
	}
	if w := bustest.Next(t, states, 5*time.Second); w.State != bus.WorkerReady || w.Backend != "flaky" {
		t.Fatalf("second state %+v, want ready", w)
	}
	// An error that is not about reaching the model is the model's answer, not a reason to switch.
	if _, err := NewFallback(errModel{}, nil, NewHeuristic(), nil).Describe(context.Background(), frame, nil); err == nil {
		t.Fatal("a model error was hidden")
	}
}

type errModel struct{}

func (errModel) Info() Info { return Info{Backend: "err"} }
func (errModel) Describe(context.Context, bus.Frame, func(string)) (Result, error) {
	return Result{}, fmt.Errorf("400: model does not support images")
}
