//go:build cgo

package reading

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
)

// leakCheck fails the test if it leaves goroutines behind. Call it first: its cleanup is then
// the last to run.
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}

var signFrames = map[string]scene{
	"NO ENTRY":  {Lines: []string{"NO ENTRY"}, Font: "bold", Size: 72},
	"EXIT ONLY": {Lines: []string{"EXIT ONLY"}, Font: "bold", Size: 72},
	"blank":     {Texture: "bricks"},
}

func frame(t testing.TB, camera, sign string) bus.Frame {
	return bus.Frame{ID: bus.NewID(), Camera: camera, Seq: 1, CapturedAt: time.Now().UTC(), Width: 1024, Height: 576, Reason: bus.FrameChanged, JPEG: render(t, signFrames[sign])}
}

func newReader(t *testing.T) *Reader {
	t.Helper()
	r, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// TestStage runs the reading stage on a real bus: a sign is said once, the same sign in the
// next frame is not said again, a changed sign is, and a read request says the last text in
// full.
func TestStage(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	counters := bus.NewCounters()
	s, err := NewStage(bustest.Conn(t, srv, "reading"), StageConfig{Reader: newReader(t), Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, s)
	c := bustest.Conn(t, srv, "test")
	descs := bustest.Collect[bus.Description](t, c, bus.AllDescriptions, 16)
	read := counters.Counter(bus.CounterReadingRead)

	publish := func(sign string, reads uint64) bus.Frame {
		t.Helper()
		f := frame(t, "door", sign)
		if err := c.PublishFrame(f); err != nil {
			t.Fatal(err)
		}
		bustest.Eventually(t, 20*time.Second, "the frame read", func() bool { return read.Load() >= reads })
		return f
	}
	f1 := publish("NO ENTRY", 1)
	d := bustest.Next(t, descs, 5*time.Second)
	if d.Backend != bus.BackendOCR || d.Text != "Sign: NO ENTRY." || d.FrameID != f1.ID || d.Camera != "door" {
		t.Fatalf("first reading: %+v", d)
	}
	var meta struct {
		Words []WordMeta `json:"words"`
		Lines []string   `json:"lines"`
		Full  string     `json:"full"`
	}
	raw, _ := json.Marshal(d.Metadata)
	if err := json.Unmarshal(raw, &meta); err != nil {
		t.Fatal(err)
	}
	if len(meta.Words) != 2 || meta.Words[0].Text != "NO" || !meta.Words[0].Kept || meta.Words[0].Conf < DefaultMinConfidence || meta.Full != "Sign: NO ENTRY." {
		t.Errorf("metadata: %s", raw)
	}
	if b := meta.Words[0].Box; b[0] < 200 || b[2] > 800 || b[1] < 200 || b[3] > 400 || b[2] <= b[0] {
		t.Errorf("box of NO %v: not where it was drawn (centre of 1024×576)", b)
	}

	publish("NO ENTRY", 2) // the same sign: nothing is published
	f3 := publish("EXIT ONLY", 3)
	if d := bustest.Next(t, descs, 5*time.Second); d.Text != "Sign: EXIT ONLY." || d.FrameID != f3.ID {
		t.Fatalf("after the same sign and a new one, got %q (frame %s), want the new sign (frame %s)", d.Text, d.FrameID, f3.ID)
	}
	publish("blank", 4)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req := bus.DescribeRequest{ID: bus.NewID(), Purpose: bus.ControlRead, At: time.Now().UTC()}
	var rep bus.DescribeReply
	if err := c.RequestEvent(ctx, bus.SubjectRead, req, &rep); err != nil || !rep.OK || rep.FrameID != f3.ID {
		t.Fatalf("read request: %+v, %v", rep, err)
	}
	if d := bustest.Next(t, descs, 5*time.Second); d.RequestID != req.ID || d.Text != "Sign: EXIT ONLY." {
		t.Errorf("answer to the read request: %+v", d)
	}
	if got := counters.Counter(bus.CounterReadingSaid).Load(); got != 2 {
		t.Errorf("reading.said = %d, want 2", got)
	}
}

// TestReadRequestBeforeAnyFrame is answered with an error, not a silence.
func TestReadRequestBeforeAnyFrame(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	s, err := NewStage(bustest.Conn(t, srv, "reading"), StageConfig{Reader: newReader(t)})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, s)
	c := bustest.Conn(t, srv, "test")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var rep bus.DescribeReply
	bustest.Eventually(t, 5*time.Second, "the read service", func() bool {
		err := c.RequestEvent(ctx, bus.SubjectRead, bus.DescribeRequest{ID: bus.NewID(), Purpose: bus.ControlRead}, &rep)
		return !errors.Is(err, bus.ErrNoResponder)
	})
	if rep.OK || !strings.Contains(rep.Error, "no frame has been read") {
		t.Errorf("reply %+v, want an error saying nothing was read", rep)
	}
}

// TestDescriber is --backend ocr: inference.Open builds the reader, whose descriptions carry
// only new text.
func TestDescriber(t *testing.T) {
	d, err := inference.Open(context.Background(), inference.Options{Backend: inference.BackendOCR})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = d.(*Describer).r.Close() }()
	if info := d.Info(); info.Backend != bus.BackendOCR || !strings.HasPrefix(info.Model, "tesseract-5") {
		t.Errorf("info %+v", info)
	}
	for i, want := range []string{"Sign: NO ENTRY.", ""} {
		res, err := d.Describe(context.Background(), frame(t, "cam0", "NO ENTRY"), nil)
		if err != nil || res.Text != want || res.Metadata[bus.MetaReadingFull] != "Sign: NO ENTRY." {
			t.Errorf("frame %d: %q, %v, %v; want %q", i, res.Text, res.Metadata[bus.MetaReadingFull], err, want)
		}
	}
}

func TestReadCancelled(t *testing.T) {
	r := newReader(t)
	defer func() { _ = r.Close() }()
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := r.Read(ctx, frame(t, "cam0", "NO ENTRY"), time.Now()); !errors.Is(err, context.Canceled) {
		t.Errorf("Read with an ended context: %v, want context.Canceled", err)
	}
}

func TestReadBadFrame(t *testing.T) {
	r := newReader(t)
	defer func() { _ = r.Close() }()
	if _, err := r.Read(context.Background(), bus.Frame{ID: "x", Camera: "c", JPEG: []byte{0xFF, 0xD8, 1, 2}}, time.Now()); err == nil {
		t.Error("a broken JPEG was read without an error")
	}
}

func TestNewRefusesMissingLanguage(t *testing.T) {
	_, err := New(Config{Lang: "xyz"})
	if err == nil || !strings.Contains(err.Error(), "tesseract-ocr-xyz") {
		t.Errorf("New with a missing language: %v, want the package to install", err)
	}
}

// TestStageAsksForSettledFrames: the reading stage asks capture for settled frames when it
// starts, and reads a settled frame (on the camera's settled subject) like any other.
func TestStageAsksForSettledFrames(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	c := bustest.Conn(t, srv, "test")
	wants := bustest.Collect[bus.SettledWanted](t, c, bus.SubjectSettledWanted, 4)
	descs := bustest.Collect[bus.Description](t, c, bus.AllDescriptions, 4)
	s, err := NewStage(bustest.Conn(t, srv, "reading"), StageConfig{Reader: newReader(t)})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, s)
	if w := bustest.Next(t, wants, 10*time.Second); w.By != "reading" {
		t.Errorf("asked for settled frames as %+v", w)
	}
	f := frame(t, "door", "NO ENTRY")
	f.Reason = bus.FrameSettled
	if err := c.PublishFrame(f); err != nil {
		t.Fatal(err)
	}
	if d := bustest.Next(t, descs, 20*time.Second); d.Text != "Sign: NO ENTRY." || d.FrameID != f.ID || d.FrameReason != bus.FrameSettled {
		t.Errorf("settled frame read as %+v", d)
	}
}
