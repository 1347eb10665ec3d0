// Describe requests: describe now and ask, sent to the inference stage and matched with their answers.

package narrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// expectRequest remembers a describe request until its description arrives.
func (s *Stage) expectRequest(id, purpose string) {
	s.pending.Put(id, purpose)
}

func (s *Stage) forgetRequest(id string) {
	s.pending.Delete(id)
}

// describeResult is the inference stage's answer to a describe request made for a control.
type describeResult struct {
	control bus.Request[bus.Control]
	request bus.DescribeRequest
	reply   bus.DescribeReply
	err     error
}

// requestDescription asks the inference stage, from a goroutine of its own, to describe the
// newest frame; the answer comes back to Run on results.
func (s *Stage) requestDescription(ctx context.Context, wg *sync.WaitGroup, r bus.Request[bus.Control], results chan<- describeResult, now time.Time) {
	req := bus.DescribeRequest{ID: bus.NewID(), Camera: r.Body.Camera, Prompt: s.prompt.Text, Purpose: r.Body.Command, At: now}
	if r.Body.Command == bus.ControlAsk {
		req.Prompt = askPrompt(strings.TrimSpace(r.Body.Text))
	}
	s.expectRequest(req.ID, req.Purpose) // before asking: the description may beat the reply
	wg.Go(func() {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		res := describeResult{control: r, request: req}
		subject := bus.SubjectDescribe
		if req.Purpose == bus.ControlRead { // the text reader answers: the last text, in full
			subject = bus.SubjectRead
		}
		res.err = s.conn.RequestEvent(rctx, subject, req, &res.reply)
		select {
		case results <- res:
		case <-ctx.Done():
		}
	})
}

// described acknowledges a describe or ask control once the inference stage answered.
func (s *Stage) described(r describeResult) {
	var err error
	switch {
	case errors.Is(r.err, bus.ErrNoResponder) && r.request.Purpose == bus.ControlRead:
		err = errNoReader
	case errors.Is(r.err, bus.ErrNoResponder):
		err = errNoInference
	case errors.Is(r.err, context.DeadlineExceeded):
		err = fmt.Errorf("the inference stage did not accept the request within %s", s.cfg.RequestTimeout)
	case r.err != nil:
		err = r.err
	case !r.reply.OK:
		err = fmt.Errorf("inference: %s", r.reply.Error)
	}
	if err != nil {
		s.forgetRequest(r.request.ID)
		s.acknowledge(plainFailure(err))
		s.answer(r.control, "", err, "")
		return
	}
	s.cfg.Logger.Debug("describe request accepted", "purpose", r.request.Purpose, "frame", r.reply.FrameID, "camera", r.reply.Camera, "backend", r.reply.Backend, "uses_prompt", r.reply.UsesPrompt)
	acks := []announce.Announcement{announce.Make(announce.AckDescribe)}
	if r.request.Purpose == bus.ControlRead {
		acks = []announce.Announcement{announce.Make(announce.AckRead)}
	}
	if r.request.Purpose == bus.ControlAsk {
		acks = []announce.Announcement{announce.Make(announce.AckAsk)}
		if !r.reply.UsesPrompt {
			acks = append(acks, announce.Make(announce.AckAskHeuristic))
		}
	}
	var words []string
	for _, a := range acks {
		s.acknowledge(a)
		words = append(words, a.Text)
	}
	s.answer(r.control, strings.Join(words, " "), nil, r.request.ID)
}
