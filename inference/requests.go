package inference

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/recent"
)

// PromptDescriber is a Describer that can follow a prompt given with each call: the narrator's
// active prompt (a preset, a --prompt file, the director's cue request) or a user's question.
// It is optional: a describer without it describes with its own configured prompt, and the
// stage tells whoever asks a question that it will not be answered as asked.
type PromptDescriber interface {
	Describer
	// DescribePrompt is Describe with prompt in place of the describer's configured prompt.
	DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(text string)) (Result, error)
}

// requests is the inference stage's part in the narrator's controls: it remembers the newest
// frame of each camera, describes it on a DescribeRequest with the request's prompt, and follows
// the narrator's active prompt.
type requests struct {
	conn    *bus.Conn
	reqs    *bus.Queue[bus.Request[bus.DescribeRequest]]
	prompts *bus.Queue[bus.Prompt]

	mu     sync.Mutex
	newest *recent.Index[string, bus.Frame] // camera → its newest frame
	last   string                           // the camera that sent a frame last
	prompt string                           // the narrator's active prompt; "" until one is known

	// jobs carries each accepted request to the stage's loop, the one goroutine that runs the
	// describer.
	jobs chan job
}

func newRequests(conn *bus.Conn, counters *bus.Counters) (*requests, error) {
	reqs, err := bus.SubscribeRequests[bus.DescribeRequest](conn, bus.SubjectDescribe, bus.QueueConfig{
		Name: "inference.requests", Size: 4, Policy: bus.DropOldest, Counters: counters, Group: bus.InferenceGroup,
	})
	if err != nil {
		return nil, err
	}
	prompts, err := bus.SubscribeEvents[bus.Prompt](conn, bus.SubjectPrompt, bus.QueueConfig{
		Name: "inference.prompts", Size: 1, Policy: bus.DropOldest, Counters: counters,
	})
	if err == nil {
		err = conn.Flush() // the subscriptions are live once New returns
	}
	if err != nil {
		_ = reqs.Close()
		if prompts != nil {
			_ = prompts.Close()
		}
		return nil, err
	}
	return &requests{conn: conn, reqs: reqs, prompts: prompts, newest: recent.New[string, bus.Frame](maxCameras), jobs: make(chan job)}, nil
}

// start serves requests and follows the prompt until ctx ends or the returned stop is called;
// stop returns once both goroutines have exited.
func (r *requests) start(ctx context.Context, s *Stage) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { r.followPrompt(ctx, s) })
	wg.Go(func() { r.serve(ctx, s) })
	return func() {
		cancel()
		wg.Wait()
		_ = r.reqs.Close()
		_ = r.prompts.Close()
	}
}

// maxCameras bounds the cameras whose newest frame is kept for describe requests; a new camera
// beyond it displaces the one heard from least recently.
const maxCameras = 64

// remember keeps f as its camera's newest frame.
func (r *requests) remember(f bus.Frame) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.newest.Put(f.Camera, f)
	r.last = f.Camera
}

// frame is the newest frame of camera, or of the camera heard from last when camera is "".
func (r *requests) frame(camera string) (bus.Frame, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if camera == "" {
		camera = r.last
	}
	f, ok := r.newest.Get(camera)
	switch {
	case ok:
		return f, nil
	case camera == "":
		return bus.Frame{}, errors.New("no frame has arrived yet")
	}
	return bus.Frame{}, fmt.Errorf("no frame from camera %q has arrived yet", camera)
}

// followPrompt asks the narrator for its prompt once, then takes every prompt it publishes.
func (r *requests) followPrompt(ctx context.Context, s *Stage) {
	qctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	var rep bus.ControlReply
	err := r.conn.RequestEvent(qctx, bus.SubjectControl, bus.Control{ID: bus.NewID(), Command: bus.ControlStatus, At: time.Now().UTC()}, &rep)
	cancel()
	if err == nil && rep.OK {
		r.setPrompt(rep.Prompt, s)
	} else if ctx.Err() == nil {
		s.cfg.Logger.Debug("no narrator prompt yet; the backend's own prompt is used until one is published", "err", err)
	}
	for {
		p, err := r.prompts.Next(ctx)
		if err != nil {
			return
		}
		r.setPrompt(p, s)
	}
}

func (r *requests) setPrompt(p bus.Prompt, s *Stage) {
	r.mu.Lock()
	changed := r.prompt != p.Text
	r.prompt = p.Text
	r.mu.Unlock()
	if !changed {
		return
	}
	if _, ok := s.cfg.Describer.(PromptDescriber); ok {
		s.cfg.Logger.Info("prompt set by the narrator", "preset", p.Preset)
	} else {
		s.cfg.Logger.Info("the narrator's prompt is ignored: this backend takes no prompt", "preset", p.Preset)
	}
}

// serve answers describe requests: it acknowledges each with the frame it will describe, or an
// error, and then describes that frame with the request's prompt.
func (r *requests) serve(ctx context.Context, s *Stage) {
	_, usesPrompt := s.cfg.Describer.(PromptDescriber)
	for {
		req, err := r.reqs.Next(ctx)
		if err != nil {
			return
		}
		rep := bus.DescribeReply{ID: bus.NewID(), RequestID: req.Body.ID, Backend: s.cfg.Describer.Info().Backend, UsesPrompt: usesPrompt, At: time.Now().UTC()}
		var f bus.Frame
		if req.Err != nil {
			rep.Error = req.Err.Error()
		} else if f, err = r.frame(req.Body.Camera); err != nil {
			rep.Error = err.Error()
		} else {
			rep.OK, rep.Camera, rep.FrameID = true, f.Camera, f.ID
		}
		if err := r.conn.Reply(req, rep); err != nil {
			s.cfg.Logger.Warn("describe request not acknowledged", "err", err)
		}
		if rep.OK {
			select { // the loop describes it as soon as the describer is free
			case r.jobs <- job{f: f, req: req.Body}:
			case <-ctx.Done():
				return
			}
		}
	}
}

// call runs the describer on f with prompt, or else the narrator's active prompt, when the
// describer takes prompts. Only the stage's loop calls it.
func (r *requests) call(ctx context.Context, d Describer, f bus.Frame, prompt string, partial func(string)) (Result, error) {
	if prompt == "" {
		r.mu.Lock()
		prompt = r.prompt
		r.mu.Unlock()
	}
	if pd, ok := d.(PromptDescriber); ok && prompt != "" {
		return pd.DescribePrompt(ctx, f, prompt, partial)
	}
	return d.Describe(ctx, f, partial)
}
