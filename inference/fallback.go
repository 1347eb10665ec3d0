package inference

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync/atomic"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/backoff"
)

// ErrUnavailable marks an error that means the model cannot be used at all (its server does
// not answer, its worker cannot start), as opposed to a model that answered with an error. A
// Fallback switches to its stand-in on it.
var ErrUnavailable = errors.New("the model cannot be reached")

// Restartable is a model that runs a process of its own (the mlx worker) and can give up on
// it: its Run returns an error when the model cannot be used, and its Describe then fails
// with ErrUnavailable. Run may be called again after it returned.
type Restartable interface {
	Describer
	Runner
	// Serving reports whether the model answers requests now.
	Serving() bool
}

// Waits between the attempts of a Fallback to reach its model again.
const (
	DefaultRetryFirst = time.Second
	DefaultRetryMax   = 30 * time.Second
)

// Fallback describes with a model while it can be reached and with a stand-in (the heuristic)
// while it cannot: it keeps narrating, says so, tries to reach the model again in the
// background with capped backoff, and says when it switches back. It is a Runner: the stage
// runs its retries for as long as it runs.
type Fallback struct {
	connect func(context.Context) (Describer, error)
	runner  Restartable // the model, when it runs a process of its own; nil when connect reaches it
	standIn Describer
	log     *slog.Logger
	first   time.Duration
	max     time.Duration
	model   atomic.Pointer[Describer] // nil while the model cannot be reached
	down    chan struct{}             // signalled when the model is lost
	lost    atomic.Pointer[Info]      // the model's Info when it was lost, for its state
	used    atomic.Bool               // a restartable model was in use since its Run last gave up
}

// NewFallback returns a Fallback that starts with model (nil: not reached yet) and reaches it
// again with connect.
func NewFallback(model Describer, connect func(context.Context) (Describer, error), standIn Describer, log *slog.Logger) *Fallback {
	if log == nil {
		log = slog.Default()
	}
	f := &Fallback{connect: connect, standIn: standIn, log: log, first: DefaultRetryFirst, max: DefaultRetryMax, down: make(chan struct{}, 1)}
	if model != nil {
		f.model.Store(&model)
	} else {
		f.down <- struct{}{}
	}
	return f
}

// NewRestartableFallback returns a Fallback that describes with model while it serves and
// with standIn after model's Run gave up; its Run runs model's Run, again with capped backoff
// after each time it gives up, and describes with model again once it serves.
func NewRestartableFallback(model Restartable, standIn Describer, log *slog.Logger) *Fallback {
	f := NewFallback(model, nil, standIn, log)
	f.runner = model
	f.used.Store(true)
	return f
}

// current is the describer in use.
func (f *Fallback) current() Describer {
	if m := f.model.Load(); m != nil {
		return *m
	}
	return f.standIn
}

// Info is the describer in use's.
func (f *Fallback) Info() Info { return f.current().Info() }

// Describe describes with the model, or with the stand-in while the model cannot be reached.
func (f *Fallback) Describe(ctx context.Context, fr bus.Frame, partial func(string)) (Result, error) {
	return f.DescribePrompt(ctx, fr, "", partial)
}

// DescribePrompt is Describe with a prompt, for models that take one.
func (f *Fallback) DescribePrompt(ctx context.Context, fr bus.Frame, prompt string, partial func(string)) (Result, error) {
	m := f.model.Load()
	if m == nil && f.runner != nil && f.runner.Serving() {
		m = f.back()
	}
	if m == nil {
		return f.standIn.Describe(ctx, fr, partial)
	}
	var res Result
	var err error
	if pd, ok := (*m).(PromptDescriber); ok && prompt != "" {
		res, err = pd.DescribePrompt(ctx, fr, prompt, partial)
	} else {
		res, err = (*m).Describe(ctx, fr, partial)
	}
	if err == nil || !errors.Is(err, ErrUnavailable) || ctx.Err() != nil {
		return res, err
	}
	f.lose(m, err)
	return f.standIn.Describe(ctx, fr, partial)
}

// lose takes the model m out of use, once, saying so; a model that is reached by connect is
// then tried again by Run.
func (f *Fallback) lose(m *Describer, err error) {
	info := (*m).Info()
	if !f.model.CompareAndSwap(m, nil) {
		return
	}
	f.lost.Store(&info)
	if f.runner != nil {
		f.log.Warn("backend: the model cannot be used; describing with the "+f.standIn.Info().Backend+" until it serves again (retrying in the background)",
			"model", info.Model, "error", err)
		return
	}
	f.log.Warn("backend: the model cannot be reached; describing with the "+f.standIn.Info().Backend+" until it answers again",
		"model", info.Model, "error", err)
	select {
	case f.down <- struct{}{}:
	default:
	}
}

// back puts a restartable model that serves again back into use, once, saying so.
func (f *Fallback) back() *Describer {
	var d Describer = f.runner
	if f.model.CompareAndSwap(nil, &d) {
		f.used.Store(true)
		f.log.Info("backend: the model serves again; describing with it", "backend", d.Info().Backend, "model", d.Info().Model)
	}
	return f.model.Load()
}

// Run tries to reach the model again whenever it is lost, waiting from DefaultRetryFirst
// doubling to DefaultRetryMax between attempts, until ctx ends. On conn (when not nil) it
// publishes the model's state as a worker: restarting when it is lost (the model-down earcon),
// ready when it answers again.
func (f *Fallback) Run(ctx context.Context, conn *bus.Conn) error {
	if f.runner != nil {
		return f.runModel(ctx, conn)
	}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-f.down:
		}
		f.publish(conn, bus.WorkerState{State: bus.WorkerRestarting, Code: "unreachable", RetryInMS: f.first.Milliseconds(),
			Reason: "the model cannot be reached; the " + f.standIn.Info().Backend + " describes until it answers again"})
		for n := 1; f.model.Load() == nil; n++ {
			t := time.NewTimer(backoff.Nth(f.first, f.max, n))
			select {
			case <-ctx.Done():
				t.Stop()
				return nil
			case <-t.C:
			}
			m, err := f.connect(ctx)
			if err != nil {
				f.log.Debug("backend: the model still cannot be reached", "error", err)
				continue
			}
			f.model.Store(&m)
			f.log.Info("backend: the model answers again; describing with it", "backend", m.Info().Backend, "model", m.Info().Model)
			f.publish(conn, bus.WorkerState{State: bus.WorkerReady})
		}
	}
}

// runModel runs a restartable model until ctx ends; each time its Run gives up, the stand-in
// describes (said on conn, restarting with StandIn) and the model is run again after a wait
// from DefaultRetryFirst doubling to DefaultRetryMax. The model publishes its own states, its
// return to ready included.
func (f *Fallback) runModel(ctx context.Context, conn *bus.Conn) error {
	for n := 1; ; n++ {
		err := f.runner.Run(ctx, conn)
		inUse := f.used.Swap(false)
		if ctx.Err() != nil {
			return nil
		}
		if err == nil {
			err = errors.New("the model stopped")
		}
		if m := f.model.Load(); m != nil {
			f.lose(m, err)
		}
		if inUse {
			n = 1 // it had served since the last wait: start the backoff again
		}
		wait := backoff.Nth(f.first, f.max, n)
		if inUse {
			f.publish(conn, bus.WorkerState{State: bus.WorkerRestarting, Code: "unavailable", RetryInMS: wait.Milliseconds(),
				Reason: fmt.Sprintf("%v; the %s describes while the model is tried again", err, f.standIn.Info().Backend)})
		}
		f.log.Debug("backend: the model is tried again", "in", wait, "error", err)
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// publish sends the model's state on SubjectWorkers.
func (f *Fallback) publish(conn *bus.Conn, w bus.WorkerState) {
	if conn == nil {
		return
	}
	info := f.current().Info()
	if m := f.model.Load(); m == nil && f.lost.Load() != nil {
		info = *f.lost.Load()
	}
	w.ID, w.Worker, w.Backend, w.Model, w.At = bus.NewID(), "fallback", info.Backend, info.Model, time.Now().UTC()
	if w.State != bus.WorkerReady {
		w.StandIn = f.standIn.Info().Backend
	}
	if err := conn.PublishEvent(bus.SubjectWorkers, w); err != nil {
		f.log.Warn("backend: model state not published", "error", err)
	}
}
