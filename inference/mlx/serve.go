package mlx

import (
	"context"
	"fmt"
	"math"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
)

// serve hands requests to a ready worker one at a time. It returns nil when ctx ends, or why
// the worker must be restarted.
func (m *Describer) serve(ctx context.Context, p *workerProc, consecutive *int) *WorkerError {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-p.events:
			if !ok {
				return m.crashed(p, "while idle")
			}
			m.cfg.Logger.Debug("mlx worker event with no request in flight ignored", "event", ev.Event, "id", ev.ID)
		case c := <-m.calls:
			if werr := m.do(ctx, p, c, consecutive); werr != nil {
				return werr
			}
		}
	}
}

// do runs one request. It returns why the worker must be restarted, or nil.
func (m *Describer) do(ctx context.Context, p *workerProc, c *mlxCall, consecutive *int) *WorkerError {
	id := bus.NewID()
	prompt := m.cfg.Prompt
	if c.prompt != "" {
		prompt = c.prompt
	}
	line, err := appendGenerate(nil, generateRequest{
		ID: id, Prompt: prompt, System: m.cfg.System, MaxTokens: m.cfg.MaxTokens,
		Temperature: m.cfg.Temperature, TopP: m.cfg.TopP,
	}, c.frame.JPEG)
	if err != nil {
		c.finish(inference.Result{}, err)
		return nil
	}
	sent := time.Now()
	if !p.send(line) {
		werr := m.crashed(p, "before it took a request")
		c.finish(inference.Result{}, werr)
		return werr
	}
	timeout := m.latency.Timeout(m.cfg.RequestTimeout)
	timer := time.NewTimer(timeout)
	defer timer.Stop()
	callDone := c.ctx.Done()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				werr := m.crashed(p, "while describing a frame")
				c.finish(inference.Result{}, werr)
				return werr
			}
			if ev.ID != id && !(ev.Event == "error" && ev.ID == "") {
				m.cfg.Logger.Debug("mlx worker event for another request ignored", "event", ev.Event, "id", ev.ID)
				continue
			}
			switch ev.Event {
			case "delta":
				c.addText(ev.Text)
			case "done":
				*consecutive = 0
				m.latency.Add(time.Since(sent))
				c.finish(m.result(c, ev, sent), nil)
				return nil
			case "error":
				werr := newWorkerError(ev.Code, ev.Message, ev.Fatal)
				c.finish(inference.Result{}, werr)
				if werr.Fatal { // a known failure every later request would hit too
					return werr
				}
				return nil
			}
		case <-timer.C:
			m.timeouts.Add(1)
			werr := &WorkerError{Code: "timeout", Advice: fmt.Sprintf("the model did not answer within %s", timeout.Round(time.Millisecond))}
			if callDone == nil {
				werr.Advice = fmt.Sprintf("the model did not stop within %s of a cancel", m.cfg.CancelGrace)
			}
			c.finish(inference.Result{}, werr)
			return werr
		case <-callDone:
			callDone = nil
			p.send(controlLine("cancel", id))
			timer.Reset(m.cfg.CancelGrace)
		case <-ctx.Done():
			p.send(controlLine("cancel", id)) // so that the shutdown that follows is not kept waiting
			c.finish(inference.Result{}, ctx.Err())
			return nil
		}
	}
}

// result turns a done event into a Result with the worker's measurements.
func (m *Describer) result(c *mlxCall, ev workerEvent, sent time.Time) inference.Result {
	elapsed := time.Since(sent)
	_, firstAt := c.textSoFar()
	meta := map[string]any{
		"describer":         "mlx",
		"finish_reason":     ev.FinishReason,
		"prompt_tokens":     ev.PromptTokens,
		"generation_tokens": ev.GenerationTokens,
		"prompt_tps":        ev.PromptTPS,
		"generation_tps":    ev.GenerationTPS,
		"peak_memory_gb":    ev.PeakMemoryGB,
		"ttft_ms":           round1(ev.TTFTS * 1000),
		"worker_ms":         round1(ev.TotalS * 1000),
		// what the protocol and the two processes add around the model's own work
		"overhead_ms": round1(float64(elapsed.Microseconds())/1000 - ev.TotalS*1000),
	}
	if ev.ModelTTFTS != nil {
		meta["model_ttft_ms"] = round1(*ev.ModelTTFTS * 1000)
	}
	return inference.Result{Text: ev.Text, FirstTokenAt: firstAt, Metadata: meta}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }
