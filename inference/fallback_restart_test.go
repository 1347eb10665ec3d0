package inference

import (
	"context"
	"errors"
	"log/slog"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// restartableModel is a model with a process of its own, as the mlx worker: each Run serves
// until ctx ends, or gives up at once while broken. It counts its Runs.
type restartableModel struct {
	broken  atomic.Bool
	serving atomic.Bool
	runs    atomic.Int32
}

var errCannotStart = errors.New("the worker cannot start")

func (m *restartableModel) Info() Info    { return Info{Backend: "worker", Model: "w", IsModel: true} }
func (m *restartableModel) Serving() bool { return m.serving.Load() }

func (m *restartableModel) Describe(ctx context.Context, _ bus.Frame, _ func(string)) (Result, error) {
	if !m.serving.Load() {
		return Result{}, errors.Join(ErrUnavailable, errCannotStart)
	}
	return Result{Text: "A model's description."}, nil
}

func (m *restartableModel) Run(ctx context.Context, _ *bus.Conn) error {
	m.runs.Add(1)
	if m.broken.Load() {
		return errCannotStart
	}
	m.serving.Store(true)
	<-ctx.Done()
	m.serving.Store(false)
	return nil
}

// TestRestartableFallbackRunsTheModelAgain: a restartable model whose Run gives up leaves the
// stand-in describing, is run again with backoff (its own runs, not a connect function), and
// describes again once it serves; the stand-in is announced once, with the stand-in named.
func TestRestartableFallbackRunsTheModelAgain(t *testing.T) {
	leakCheck(t)
	m := &restartableModel{}
	m.broken.Store(true)
	logs := &bustest.SyncBuffer{}
	f := NewRestartableFallback(m, NewHeuristic(), slog.New(slog.NewTextHandler(logs, nil)))
	f.first, f.max = time.Millisecond, 8*time.Millisecond
	srv := bustest.Server(t)
	states := bustest.Collect[bus.WorkerState](t, bustest.Conn(t, srv, "test"), bus.SubjectWorkers, 16)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- f.Run(ctx, bustest.Conn(t, srv, "inference")) }()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run: %v", err)
		}
	}()

	frame := scene(t, beige, nil)
	res, err := f.Describe(context.Background(), frame, nil)
	if err != nil || res.Text == "A model's description." {
		t.Fatalf("model that cannot start: %q, %v, want the heuristic's description", res.Text, err)
	}
	w := bustest.Next(t, states, 5*time.Second)
	if w.State != bus.WorkerRestarting || w.StandIn != BackendHeuristic || w.Worker != "fallback" || w.Backend != "worker" || w.RetryInMS <= 0 {
		t.Fatalf("state %+v, want restarting with the heuristic standing in for the worker", w)
	}
	bustest.Eventually(t, 5*time.Second, "runs again in the background", func() bool { return m.runs.Load() >= 3 })
	m.broken.Store(false)
	bustest.Eventually(t, 5*time.Second, "the model describes again", func() bool {
		res, err := f.Describe(context.Background(), frame, nil)
		return err == nil && res.Text == "A model's description."
	})
	if f.Info().Backend != "worker" {
		t.Errorf("describing with %+v, want the worker", f.Info())
	}
	// The failed retries were silent: one state event for the whole outage.
	ctx2, cancel2 := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel2()
	if extra, err := states.Next(ctx2); err == nil {
		t.Errorf("another state event %+v; the failed retries must be silent", extra)
	}
}
