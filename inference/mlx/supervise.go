package mlx

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"syscall"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/backoff"
)

// Run starts the worker and keeps it running until ctx ends: it restarts it with capped
// backoff when it crashes, hangs or fails to load, and publishes each state change on
// bus.SubjectWorkers when conn is not nil. It returns nil when ctx ends, and an error (a
// *WorkerError with the fix) when the worker cannot run (a fatal failure, or MaxFailedStarts
// starts in a row that did not reach ready); Describe then fails with that error, which is
// inference.ErrUnavailable.
//
// Run may be called again after it returned (inference.Fallback does, with backoff, while the
// heuristic describes). A Run after one that gave up is a quiet retry: it starts the worker
// once, publishes nothing unless the worker becomes ready, and returns the failure otherwise.
// Runs never overlap.
func (m *Describer) Run(ctx context.Context, conn *bus.Conn) error {
	m.mu.Lock()
	m.conn = conn
	m.stopErr = nil
	select {
	case <-m.stopped:
		m.stopped = make(chan struct{})
	default:
	}
	retry := m.gaveUp
	m.mu.Unlock()
	err := m.supervise(ctx, retry)
	m.mu.Lock()
	if err != nil {
		m.stopErr = stoppedError{err}
		m.gaveUp = true
	}
	m.pid = 0
	close(m.stopped)
	m.mu.Unlock()
	return err
}

// Serving reports whether a worker is ready for requests now.
func (m *Describer) Serving() bool { return m.State() == bus.WorkerReady }

// stoppedError is what Describe returns once Run has given up: the model cannot be used
// (inference.ErrUnavailable) for the reason Run gave.
type stoppedError struct{ err error }

func (e stoppedError) Error() string        { return e.err.Error() }
func (e stoppedError) Unwrap() error        { return e.err }
func (e stoppedError) Is(target error) bool { return target == inference.ErrUnavailable }

// supervise runs workers until ctx ends or it gives up. In a quiet retry (see Run) one start
// is tried and only a ready worker is published.
func (m *Describer) supervise(ctx context.Context, retry bool) error {
	failedStarts, consecutive := 0, 0
	maxFailed := m.cfg.MaxFailedStarts
	if retry {
		maxFailed = 1
	}
	for {
		p, ready, werr := m.launch(ctx, retry)
		wasReady := werr == nil && ctx.Err() == nil
		if wasReady {
			failedStarts, retry, maxFailed = 0, false, m.cfg.MaxFailedStarts
			m.mu.Lock()
			m.gaveUp = false
			m.mu.Unlock()
			m.setReady(p, ready)
			werr = m.serve(ctx, p, &consecutive)
		} else if werr != nil {
			failedStarts++
		}
		if p != nil {
			// A ready worker that is not failing may exit in order; any other is killed.
			grace := time.Duration(0)
			if wasReady && werr == nil {
				grace = m.cfg.ShutdownGrace
			}
			p.stop(grace)
		}
		if ctx.Err() != nil {
			if !retry {
				m.publish(bus.WorkerState{State: bus.WorkerStopped})
			}
			return nil
		}
		consecutive++
		if werr.Fatal || failedStarts >= maxFailed {
			return m.giveUp(werr, failedStarts, retry)
		}
		delay := backoff.Nth(m.cfg.BackoffMin, m.cfg.BackoffMax, consecutive)
		m.cfg.Logger.Warn("mlx worker restarts", "error", werr, "code", werr.Code, "in", delay)
		m.publish(bus.WorkerState{State: bus.WorkerRestarting, Code: werr.Code, Reason: werr.Error(), RetryInMS: delay.Milliseconds()})
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			m.publish(bus.WorkerState{State: bus.WorkerStopped})
			return nil
		}
		m.restarts.Add(1)
		m.mu.Lock()
		m.nRestarts++
		m.mu.Unlock()
	}
}

// giveUp ends a Run that cannot get a worker ready: the failure, said once (a quiet retry
// only logs it at debug level).
func (m *Describer) giveUp(werr *WorkerError, failedStarts int, retry bool) error {
	if !werr.Fatal {
		werr = &WorkerError{Code: werr.Code, Fatal: true, Detail: werr.Detail, Advice: werr.Advice}
		if failedStarts > 1 {
			werr.Advice = fmt.Sprintf("%s; %d starts in a row failed", werr.Advice, failedStarts)
		}
	}
	if retry {
		m.cfg.Logger.Debug("mlx worker still cannot run", "error", werr)
	} else {
		m.publish(bus.WorkerState{State: bus.WorkerFailed, Code: werr.Code, Reason: werr.Error()})
		m.cfg.Logger.Error("mlx worker cannot run", "error", werr)
	}
	return fmt.Errorf("mlx backend: %w", werr)
}

func noPython(python string, err error) *WorkerError {
	return &WorkerError{Code: "no_python", Fatal: true, Detail: err.Error(),
		Advice: fmt.Sprintf("cannot run the worker's Python %s: run `narrator setup`, or pass --worker-python (env NARRATOR_WORKER_PYTHON)", python)}
}

// launch starts a worker and waits for its ready event. The returned process, when not nil,
// must be stopped by the caller.
func (m *Describer) launch(ctx context.Context, quiet bool) (*workerProc, workerEvent, *WorkerError) {
	layout := Layout{Root: m.cfg.DataDir}
	env := append(os.Environ(), "PYTHONUNBUFFERED=1", "TOKENIZERS_PARALLELISM=false")
	env = append(env, m.cfg.Env...)
	env = append(env, hubEnv(layout, m.cfg.Online, env)...)
	p, err := startProc(procSpec{
		python: m.cfg.Python, args: []string{m.cfg.Script, "serve", "--model", m.cfg.ModelPath},
		env: env, log: m.cfg.Logger, garbage: m.invalid, garbageLog: m.garbageLog,
	})
	if err != nil {
		return nil, workerEvent{}, noPython(m.cfg.Python, err)
	}
	m.mu.Lock()
	m.pid = p.pid
	m.mu.Unlock()
	if !quiet {
		m.publish(bus.WorkerState{State: bus.WorkerStarting, PID: p.pid})
	}
	level := slog.LevelInfo
	if quiet {
		level = slog.LevelDebug
	}
	m.cfg.Logger.Log(ctx, level, "mlx worker starting", "pid", p.pid, "python", m.cfg.Python, "model", m.cfg.ModelPath)
	timer := time.NewTimer(m.cfg.LoadTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				return p, workerEvent{}, m.crashed(p, "while loading the model")
			}
			switch ev.Event {
			case "ready":
				return p, ev, nil
			case "error":
				return p, workerEvent{}, newWorkerError(ev.Code, ev.Message, ev.Fatal)
			default:
				m.cfg.Logger.Debug("mlx worker event before ready ignored", "event", ev.Event)
			}
		case <-timer.C:
			return p, workerEvent{}, &WorkerError{Code: "load_timeout", Detail: oneLine(p.lastWords()),
				Advice: fmt.Sprintf("the model did not load within %s", m.cfg.LoadTimeout)}
		case <-ctx.Done():
			return p, workerEvent{}, nil
		}
	}
}

// crashed explains a worker that exited on its own, from its exit status and last stderr lines.
func (m *Describer) crashed(p *workerProc, when string) *WorkerError {
	<-p.exited
	m.crashes.Add(1)
	words := p.lastWords()
	if f, ok := classifyFailure(words); ok {
		return &WorkerError{Code: f.code, Advice: f.advice, Fatal: f.fatal, Detail: lastLine(words)}
	}
	return &WorkerError{Code: "crashed", Detail: lastLine(words),
		Advice: fmt.Sprintf("the model worker %s %s", exitStatus(p.cmd.ProcessState), when)}
}

// exitStatus says how a process ended, in words: "exited with status 3", "was killed
// (signal 9)", "ended on signal 11 (segmentation fault)".
func exitStatus(ps *os.ProcessState) string {
	if ps == nil {
		return "ended"
	}
	if ws, ok := ps.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
		if sig := ws.Signal(); sig != syscall.SIGKILL {
			return fmt.Sprintf("ended on signal %d (%s)", int(sig), sig)
		}
		return fmt.Sprintf("was killed (signal %d)", int(syscall.SIGKILL))
	}
	return fmt.Sprintf("exited with status %d", ps.ExitCode())
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	return oneLine(s[strings.LastIndexByte(s, '\n')+1:])
}

func (m *Describer) setReady(p *workerProc, ev workerEvent) {
	m.mu.Lock()
	m.ready = ev
	m.mu.Unlock()
	m.cfg.Logger.Info("mlx worker ready", "pid", p.pid, "model_type", ev.ModelType, "load_s", ev.LoadS,
		"warmup_s", ev.WarmupS, "mlx_vlm", ev.Versions["mlx_vlm"], "python", ev.Versions["python"])
	m.publish(bus.WorkerState{State: bus.WorkerReady, PID: p.pid, LoadMS: ev.LoadS * 1000,
		WarmupMS: ev.WarmupS * 1000, Versions: ev.Versions})
}

// publish fills in the worker's identity and publishes a state change; without a bus it only
// records the state.
func (m *Describer) publish(s bus.WorkerState) {
	m.mu.Lock()
	m.state = s.State
	s.Restarts = m.nRestarts
	m.mu.Unlock()
	s.ID, s.Worker, s.Backend, s.Model, s.At = bus.NewID(), "mlx", "mlx", m.cfg.Model, time.Now().UTC()
	if m.conn == nil {
		return
	}
	if err := m.conn.PublishEvent(bus.SubjectWorkers, s); err != nil {
		m.cfg.Logger.Warn("worker state not published", "state", s.State, "err", err)
	}
}
