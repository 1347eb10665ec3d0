package mlx

import (
	"context"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/backoff"
)

// Run, called once, starts the worker and keeps it running until ctx ends: it restarts it with capped
// backoff when it crashes, hangs or fails to load, and publishes each state change on
// bus.SubjectWorkers when conn is not nil. It returns nil when ctx ends, and an error (a
// *WorkerError with the fix) when the worker cannot run: then Describe fails too.
func (m *Describer) Run(ctx context.Context, conn *bus.Conn) error {
	m.conn = conn
	err := m.supervise(ctx)
	m.mu.Lock()
	m.stopErr = err
	m.pid = 0
	m.mu.Unlock()
	close(m.stopped)
	return err
}

func (m *Describer) supervise(ctx context.Context) error {
	failedStarts, consecutive := 0, 0
	for {
		p, ready, werr := m.launch(ctx)
		wasReady := werr == nil && ctx.Err() == nil
		if wasReady {
			failedStarts = 0
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
			m.publish(bus.WorkerState{State: bus.WorkerStopped})
			return nil
		}
		consecutive++
		if werr.Fatal || failedStarts >= m.cfg.MaxFailedStarts {
			if !werr.Fatal {
				werr = &WorkerError{Code: werr.Code, Fatal: true, Detail: werr.Detail,
					Advice: fmt.Sprintf("%s; gave up after %d failed starts", werr.Advice, failedStarts)}
			}
			m.publish(bus.WorkerState{State: bus.WorkerFailed, Code: werr.Code, Reason: werr.Error()})
			m.cfg.Logger.Error("mlx worker cannot run", "error", werr)
			return fmt.Errorf("mlx backend: %w", werr)
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

func noPython(python string, err error) *WorkerError {
	return &WorkerError{Code: "no_python", Fatal: true, Detail: err.Error(),
		Advice: fmt.Sprintf("cannot run the worker's Python %s: run `narrator setup`, or pass --worker-python (env NARRATOR_WORKER_PYTHON)", python)}
}

// launch starts a worker and waits for its ready event. The returned process, when not nil,
// must be stopped by the caller.
func (m *Describer) launch(ctx context.Context) (*workerProc, workerEvent, *WorkerError) {
	layout := Layout{Root: m.cfg.DataDir}
	env := append(os.Environ(), "PYTHONUNBUFFERED=1", "TOKENIZERS_PARALLELISM=false")
	env = append(env, m.cfg.Env...)
	env = append(env, hubEnv(layout, m.cfg.Online, env)...)
	p, err := startProc(procSpec{
		python: m.cfg.Python, args: []string{m.cfg.Script, "serve", "--model", m.cfg.ModelPath},
		env: env, log: m.cfg.Logger, garbage: m.invalid,
	})
	if err != nil {
		return nil, workerEvent{}, noPython(m.cfg.Python, err)
	}
	m.mu.Lock()
	m.pid = p.pid
	m.mu.Unlock()
	m.publish(bus.WorkerState{State: bus.WorkerStarting, PID: p.pid})
	m.cfg.Logger.Info("mlx worker starting", "pid", p.pid, "python", m.cfg.Python, "model", m.cfg.ModelPath)
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
				Advice: fmt.Sprintf("the model did not load within %s; the worker restarts", m.cfg.LoadTimeout)}
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
	status := "was killed"
	if code := p.exitCode(); code >= 0 {
		status = fmt.Sprintf("exited with status %d", code)
	} else if err := p.exitError(); err != nil {
		status = err.Error()
	}
	return &WorkerError{Code: "crashed", Detail: lastLine(words),
		Advice: fmt.Sprintf("the model worker %s %s; it restarts", status, when)}
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
