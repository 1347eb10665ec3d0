package inference

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/internal/recent"
)

// promptDouble is a test double that follows prompts: it answers with the prompt it was given,
// streaming a partial first, and records every prompt.
type promptDouble struct {
	mu      sync.Mutex
	prompts []string
}

func (p *promptDouble) Info() Info { return Info{Backend: "double", IsModel: true} }

func (p *promptDouble) Describe(ctx context.Context, f bus.Frame, partial func(string)) (Result, error) {
	return p.DescribePrompt(ctx, f, "(own prompt)", partial)
}

func (p *promptDouble) DescribePrompt(_ context.Context, f bus.Frame, prompt string, partial func(string)) (Result, error) {
	p.mu.Lock()
	p.prompts = append(p.prompts, prompt)
	p.mu.Unlock()
	partial("Answer to")
	return Result{Text: "Answer to " + prompt + " about " + f.ID}, nil
}

func startInference(t *testing.T, d Describer) (*bus.Conn, *bus.Queue[bus.Description]) {
	t.Helper()
	leakCheck(t)
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "test")
	descriptions := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 64)
	s, err := New(bustest.Conn(t, srv, "inference"), Config{Describer: d})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, s)
	return pub, descriptions
}

func request(t *testing.T, c *bus.Conn, req bus.DescribeRequest) bus.DescribeReply {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req.ID = bus.NewID()
	var rep bus.DescribeReply
	if err := c.RequestEvent(ctx, bus.SubjectDescribe, req, &rep); err != nil {
		t.Fatal(err)
	}
	if rep.RequestID != req.ID {
		t.Fatalf("reply answers %q, not %q", rep.RequestID, req.ID)
	}
	return rep
}

// final waits for the next final description.
func final(t *testing.T, q *bus.Queue[bus.Description]) bus.Description {
	t.Helper()
	for {
		if d := bustest.Next(t, q, 5*time.Second); !d.Partial {
			return d
		}
	}
}

func publishFrame(t *testing.T, c *bus.Conn, id, camera string) {
	t.Helper()
	f := scene(t, beige, nil)
	f.ID, f.Camera, f.Seq, f.CapturedAt, f.Width, f.Height, f.Reason = id, camera, 1, time.Now().UTC(), 320, 180, bus.FrameFirst
	if err := c.PublishFrame(f); err != nil {
		t.Fatal(err)
	}
}

func TestDescribeRequestUsesTheNewestFrameAndThePrompt(t *testing.T) {
	d := &promptDouble{}
	pub, descriptions := startInference(t, d)

	if rep := request(t, pub, bus.DescribeRequest{Purpose: bus.ControlDescribe}); rep.OK || !strings.Contains(rep.Error, "no frame") {
		t.Fatalf("request before any frame: %+v", rep)
	}
	publishFrame(t, pub, "f1", "cam0")
	if got := final(t, descriptions); got.FrameID != "f1" || got.RequestID != "" || got.Text != "Answer to (own prompt) about f1" {
		t.Fatalf("frame description %+v", got)
	}
	rep := request(t, pub, bus.DescribeRequest{Purpose: bus.ControlAsk, Prompt: "Is the door open?"})
	if !rep.OK || rep.FrameID != "f1" || rep.Camera != "cam0" || !rep.UsesPrompt || rep.Backend != "double" {
		t.Fatalf("ask reply %+v", rep)
	}
	got := final(t, descriptions)
	if got.RequestID == "" || got.FrameID != "f1" || got.Text != "Answer to Is the door open? about f1" {
		t.Fatalf("answer %+v", got)
	}
	if rep := request(t, pub, bus.DescribeRequest{Camera: "garden"}); rep.OK || !strings.Contains(rep.Error, `"garden"`) {
		t.Fatalf("request for an unknown camera: %+v", rep)
	}

	// The narrator's prompt is used for every frame from then on.
	if err := pub.PublishEvent(bus.SubjectPrompt, bus.Prompt{ID: bus.NewID(), Preset: "people", Text: "Who is there?"}); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, "the prompt to be taken", func() bool {
		publishFrame(t, pub, bus.NewID(), "cam0")
		return strings.HasPrefix(final(t, descriptions).Text, "Answer to Who is there?")
	})
}

func TestDescribeRequestWithABackendThatTakesNoPrompt(t *testing.T) {
	pub, descriptions := startInference(t, NewHeuristic())
	publishFrame(t, pub, "f1", "cam0")
	final(t, descriptions)
	rep := request(t, pub, bus.DescribeRequest{Purpose: bus.ControlAsk, Prompt: "Is the door open?"})
	if !rep.OK || rep.UsesPrompt || rep.Backend != "heuristic" {
		t.Fatalf("reply %+v", rep)
	}
	if got := final(t, descriptions); got.RequestID == "" || got.Text == "" {
		t.Fatalf("description %+v", got)
	}
}

func TestNewestFramesAreKeptForBoundedCameras(t *testing.T) {
	r := &requests{newest: recent.New[string, bus.Frame](maxCameras)}
	t0 := time.Unix(1000, 0)
	for i := range maxCameras + 10 {
		r.remember(bus.Frame{ID: fmt.Sprint(i), Camera: fmt.Sprintf("cam%d", i), CapturedAt: t0.Add(time.Duration(i) * time.Second)})
	}
	if r.newest.Len() != maxCameras {
		t.Fatalf("kept %d cameras, want %d", r.newest.Len(), maxCameras)
	}
	if _, ok := r.newest.Get("cam0"); ok {
		t.Fatal("the camera heard from least recently was kept")
	}
	if f, err := r.frame(""); err != nil || f.Camera != fmt.Sprintf("cam%d", maxCameras+9) {
		t.Fatalf("frame(\"\") = %+v, %v; want the last camera's", f, err)
	}
}

// goroutineDouble records which goroutine runs each call.
type goroutineDouble struct {
	promptDouble
	mu  sync.Mutex
	ids map[string]bool
}

func (g *goroutineDouble) DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(string)) (Result, error) {
	buf := make([]byte, 64)
	buf = buf[:runtime.Stack(buf, false)] // "goroutine 42 [running]:…"
	id, _, _ := strings.Cut(string(buf), " [")
	g.mu.Lock()
	g.ids[id] = true
	g.mu.Unlock()
	return g.promptDouble.DescribePrompt(ctx, f, prompt, partial)
}

func (g *goroutineDouble) Describe(ctx context.Context, f bus.Frame, partial func(string)) (Result, error) {
	return g.DescribePrompt(ctx, f, "(own prompt)", partial)
}

// TestOneGoroutineOwnsTheDescriber: frames and describe requests are described by the same
// goroutine, so no describer ever needs a lock (issue: a mutex shared between the two).
func TestOneGoroutineOwnsTheDescriber(t *testing.T) {
	d := &goroutineDouble{ids: map[string]bool{}}
	pub, descriptions := startInference(t, d)
	publishFrame(t, pub, "f1", "cam0")
	final(t, descriptions)
	for range 3 {
		if rep := request(t, pub, bus.DescribeRequest{Purpose: bus.ControlAsk, Prompt: "What is red?"}); !rep.OK {
			t.Fatalf("reply %+v", rep)
		}
		final(t, descriptions)
		publishFrame(t, pub, bus.NewID(), "cam0")
		final(t, descriptions)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if len(d.ids) != 1 {
		t.Fatalf("the describer ran on %d goroutines (%v), want one", len(d.ids), d.ids)
	}
}
