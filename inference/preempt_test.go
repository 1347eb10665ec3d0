package inference_test

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/inference/openai"
)

// call is one Describe call of the blocking describer, waiting to be finished.
type call struct {
	frame   bus.Frame
	finish  chan string // the text to return
	stopped chan error  // what Describe returned when its context ended
}

// blockingDescriber is a test double: each Describe says a first partial, then blocks until the
// test finishes it or its context ends, as a model streaming a long answer would.
type blockingDescriber struct{ calls chan *call }

func (b *blockingDescriber) Info() inference.Info {
	return inference.Info{Backend: "test", Model: "blocking", IsModel: true}
}

func (b *blockingDescriber) Describe(ctx context.Context, f bus.Frame, partial func(string)) (inference.Result, error) {
	c := &call{frame: f, finish: make(chan string), stopped: make(chan error, 1)}
	partial("A red box")
	b.calls <- c
	select {
	case text := <-c.finish:
		return inference.Result{Text: text}, nil
	case <-ctx.Done():
		c.stopped <- ctx.Err()
		return inference.Result{}, ctx.Err()
	}
}

// preemptRig is an inference stage with the blocking describer on a real embedded bus.
type preemptRig struct {
	t        *testing.T
	pub      *bus.Conn
	desc     *blockingDescriber
	finals   *bus.Queue[bus.Description]
	counters *bus.Counters
	seq      uint64
}

// checkLeaks fails the test if it leaves goroutines behind; call it before anything that
// cleans up after itself, so it runs last.
func checkLeaks(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

func newPreemptRig(t *testing.T, preempt bool) *preemptRig {
	checkLeaks(t)
	desc := &blockingDescriber{calls: make(chan *call, 8)}
	r := newRig(t, desc, preempt)
	r.desc = desc
	return r
}

// newRig runs an inference stage with d on a real embedded bus.
func newRig(t *testing.T, d inference.Describer, preempt bool) *preemptRig {
	srv := bustest.Server(t)
	r := &preemptRig{t: t, pub: bustest.Conn(t, srv, "pub"), counters: bus.NewCounters()}
	all := bustest.Collect[bus.Description](t, r.pub, bus.AllDescriptions, 64)
	r.finals = all
	conn := bustest.Conn(t, srv, "inference")
	st, err := inference.New(conn, inference.Config{
		Describer: d, Counters: r.counters, Preempt: preempt, PreemptDistance: 12,
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil { // the server knows the subscriptions
		t.Fatal(err)
	}
	bustest.Run(t, st)
	return r
}

// frame publishes a frame of cam0.
func (r *preemptRig) frame(reason string, distance int) bus.Frame {
	r.t.Helper()
	r.seq++
	f := bus.Frame{ID: bus.NewID(), Camera: "cam0", Seq: r.seq, CapturedAt: time.Now().UTC(), Width: 1, Height: 1,
		Reason: reason, Distance: distance, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
	if err := r.pub.PublishFrame(f); err != nil {
		r.t.Fatal(err)
	}
	return f
}

// started waits for the describer to start on a frame and checks which.
func (r *preemptRig) started(want bus.Frame) *call {
	r.t.Helper()
	select {
	case c := <-r.desc.calls:
		if c.frame.ID != want.ID {
			r.t.Fatalf("describer started on frame %d (%s), want %d (%s)", c.frame.Seq, c.frame.Reason, want.Seq, want.Reason)
		}
		return c
	case <-time.After(10 * time.Second):
		r.t.Fatalf("describer never started on frame %d", want.Seq)
		return nil
	}
}

// stopped waits for c's generation to be cancelled and returns what Describe returned.
func stopped(t *testing.T, c *call) error {
	t.Helper()
	select {
	case err := <-c.stopped:
		return err
	case <-time.After(10 * time.Second):
		t.Fatalf("the generation for frame %d was never cancelled", c.frame.Seq)
		return nil
	}
}

// final waits for the next final description.
func (r *preemptRig) final() bus.Description {
	r.t.Helper()
	for {
		d := bustest.Next(r.t, r.finals, 10*time.Second)
		if !d.Partial {
			return d
		}
	}
}

func TestPreemptCancelsTheOldScene(t *testing.T) {
	r := newPreemptRig(t, true)
	a := r.frame(bus.FrameFirst, 0)
	ca := r.started(a)
	b := r.frame(bus.FrameChanged, 30)
	if err := stopped(t, ca); err == nil {
		t.Fatal("the old scene's generation was not cancelled")
	}
	d := r.final()
	if d.FrameID != a.ID || d.Cancelled == "" || d.Error == "" || d.Text != "A red box" {
		t.Fatalf("final description of the old scene = %+v, want it cancelled with its text so far", d)
	}
	cb := r.started(b) // the new scene is described at once
	cb.finish <- "A blue box on the right."
	if d := r.final(); d.FrameID != b.ID || d.Cancelled != "" || d.Error != "" || d.Text != "A blue box on the right." {
		t.Fatalf("final description of the new scene = %+v", d)
	}
	if n := r.counters.Counter("inference.cancelled").Load(); n != 1 {
		t.Errorf("inference.cancelled = %d, want 1", n)
	}
}

func TestNoPreemptBySmallChangeOrHeartbeat(t *testing.T) {
	r := newPreemptRig(t, true)
	a := r.frame(bus.FrameFirst, 0)
	ca := r.started(a)
	r.frame(bus.FrameHeartbeat, 0)
	small := r.frame(bus.FrameChanged, 5) // below PreemptDistance; also replaces the heartbeat
	bustest.Eventually(t, 5*time.Second, "the heartbeat replaced while the model is busy", func() bool {
		return r.counters.Counter("inference.frames.dropped").Load() == 1
	})
	ca.finish <- "A red box."
	if d := r.final(); d.FrameID != a.ID || d.Cancelled != "" {
		t.Fatalf("final description = %+v, want frame %s finished", d, a.ID)
	}
	r.started(small).finish <- "Still a red box."
	r.final()
	if n := r.counters.Counter("inference.cancelled").Load(); n != 0 {
		t.Errorf("inference.cancelled = %d, want 0", n)
	}
}

func TestNoPreemptRightAfterAPreemption(t *testing.T) {
	r := newPreemptRig(t, true)
	ca := r.started(r.frame(bus.FrameFirst, 0))
	b := r.frame(bus.FrameChanged, 30)
	stopped(t, ca)
	cb := r.started(b)
	// The scene keeps changing: b is still finished. The fourth frame replacing the third shows
	// that both arrived while b ran.
	r.frame(bus.FrameChanged, 30)
	c := r.frame(bus.FrameChanged, 30)
	bustest.Eventually(t, 5*time.Second, "two frames taken while b runs", func() bool {
		return r.counters.Counter("inference.frames.dropped").Load() == 1
	})
	if len(cb.stopped) != 0 {
		t.Fatal("the generation after a preemption was cancelled")
	}
	cb.finish <- "A blue box."
	for {
		d := r.final()
		if d.FrameID == b.ID {
			if d.Cancelled != "" {
				t.Fatalf("the generation after a preemption was preempted too: %+v", d)
			}
			break
		}
	}
	r.started(c).finish <- "A green room."
	if n := r.counters.Counter("inference.cancelled").Load(); n != 1 {
		t.Errorf("inference.cancelled = %d, want 1", n)
	}
}

func TestPreemptOff(t *testing.T) {
	r := newPreemptRig(t, false)
	a := r.frame(bus.FrameFirst, 0)
	ca := r.started(a)
	b := r.frame(bus.FrameChanged, 30)
	select {
	case <-ca.stopped:
		t.Fatal("cancelled with preemption off")
	case <-time.After(200 * time.Millisecond): // a preemption would take a few ms
	}
	ca.finish <- "A red box."
	if d := r.final(); d.FrameID != a.ID || d.Cancelled != "" {
		t.Fatalf("final description = %+v", d)
	}
	r.started(b).finish <- "A blue box."
}

func TestRequestedAnswerIsNeverPreempted(t *testing.T) {
	r := newPreemptRig(t, true)
	a := r.frame(bus.FrameFirst, 0)
	r.started(a).finish <- "A red box."
	r.final()

	// The user asks: the answer describes the newest frame, a.
	req := bus.DescribeRequest{ID: bus.NewID(), Purpose: bus.ControlAsk, Prompt: "What is on the left?", At: time.Now().UTC()}
	var rep bus.DescribeReply
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := r.pub.RequestEvent(ctx, bus.SubjectDescribe, req, &rep); err != nil || !rep.OK {
		t.Fatalf("describe request: %v, %+v", err, rep)
	}
	answer := r.started(a)
	b := r.frame(bus.FrameChanged, 30) // the scene changes while the answer is generated
	select {
	case err := <-answer.stopped:
		t.Fatalf("the requested answer was cancelled: %v", err)
	case <-time.After(200 * time.Millisecond): // a preemption would take a few ms
	}
	answer.finish <- "A red box is on the left."
	d := r.final()
	if d.RequestID != req.ID || d.Cancelled != "" || d.Error != "" {
		t.Fatalf("the answer = %+v, want it finished", d)
	}
	r.started(b).finish <- "A blue box."
	if n := r.counters.Counter("inference.cancelled").Load(); n != 0 {
		t.Errorf("inference.cancelled = %d, want 0", n)
	}
}

// TestPreemptClosesTheOpenAIRequest preempts the real OpenAI-compatible backend: the model
// server (a test double speaking the streaming protocol) sees its request closed.
func TestPreemptClosesTheOpenAIRequest(t *testing.T) {
	checkLeaks(t)
	started, closed := make(chan struct{}), make(chan struct{})
	var requests atomic.Int32
	server := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		if requests.Add(1) == 1 { // the old scene: one chunk, then as slow as a big model
			io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"A red box\"}}]}\n\n")
			w.(http.Flusher).Flush()
			close(started)
			<-r.Context().Done()
			close(closed)
			return
		}
		io.WriteString(w, "data: {\"choices\":[{\"delta\":{\"content\":\"A blue box.\"}}]}\n\ndata: [DONE]\n\n")
	}))
	t.Cleanup(server.Close)
	d, err := openai.New(context.Background(), openai.Config{URL: server.URL, Model: "test-vl"})
	if err != nil {
		t.Fatal(err)
	}
	r := newRig(t, d, true)
	a := r.frame(bus.FrameFirst, 0)
	select {
	case <-started:
	case <-time.After(10 * time.Second):
		t.Fatal("the model server got no request")
	}
	if p := bustest.Next(t, r.finals, 10*time.Second); !p.Partial || p.Text != "A red box" {
		t.Fatalf("first description = %+v, want the partial text", p)
	}
	b := r.frame(bus.FrameChanged, 30)
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("the request for the old scene was not closed")
	}
	if d := r.final(); d.FrameID != a.ID || d.Cancelled == "" || d.Text != "A red box" {
		t.Fatalf("final description of the old scene = %+v", d)
	}
	if d := r.final(); d.FrameID != b.ID || d.Error != "" || d.Text != "A blue box." {
		t.Fatalf("final description of the new scene = %+v", d)
	}
}
