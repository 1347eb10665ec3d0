package mlx

import (
	"context"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
)

// mlxCall is one Describe waiting for the supervisor.
type mlxCall struct {
	ctx    context.Context
	frame  bus.Frame
	prompt string          // "" for the configured prompt
	result chan callResult // buffered: the supervisor never waits for Describe

	mu      sync.Mutex
	text    string
	firstAt time.Time
	notify  chan struct{} // buffered 1: the text changed
}

type callResult struct {
	res inference.Result
	err error
}

func (c *mlxCall) addText(s string) {
	c.mu.Lock()
	if c.firstAt.IsZero() {
		c.firstAt = time.Now()
	}
	c.text += s
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *mlxCall) textSoFar() (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text, c.firstAt
}

func (c *mlxCall) finish(res inference.Result, err error) {
	select {
	case c.result <- callResult{res, err}:
	default:
	}
}

// Describe sends the frame to the worker once it is ready and streams the text so far to
// partial. It returns when the answer is complete, on failure, or as soon as ctx ends (the
// worker is then told to cancel).
func (m *Describer) Describe(ctx context.Context, f bus.Frame, partial func(text string)) (inference.Result, error) {
	return m.DescribePrompt(ctx, f, "", partial)
}

// DescribePrompt is Describe with prompt in place of the configured prompt ("" keeps it); the
// system prompt stays.
func (m *Describer) DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(text string)) (inference.Result, error) {
	c := &mlxCall{ctx: ctx, frame: f, prompt: prompt, result: make(chan callResult, 1), notify: make(chan struct{}, 1)}
	m.mu.Lock()
	stopped := m.stopped
	m.mu.Unlock()
	select {
	case m.calls <- c:
	case <-ctx.Done():
		return inference.Result{}, ctx.Err()
	case <-stopped:
		return inference.Result{}, m.stoppedErr()
	}
	last := ""
	for {
		select {
		case <-c.notify:
			if t, _ := c.textSoFar(); t != last && partial != nil {
				last = t
				partial(t)
			}
		case r := <-c.result:
			return r.res, r.err
		case <-ctx.Done():
			return inference.Result{}, ctx.Err()
		}
	}
}

func (m *Describer) stoppedErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopErr != nil {
		return m.stopErr
	}
	return ErrWorkerStopped
}
