package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// stageRig is a capture stage on a real embedded bus, with subscribers for what it publishes.
type stageRig struct {
	stage    *Stage
	frames   *bus.Queue[bus.Frame]
	sources  *bus.Queue[bus.SourceEvent]
	counters *bus.Counters
	done     chan error
	cancel   context.CancelFunc
}

func startStage(t *testing.T, cfg Config) *stageRig {
	t.Helper()
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	srv := bustest.Server(t)
	pub, sub := bustest.Conn(t, srv, "capture"), bustest.Conn(t, srv, "test")
	frames, err := bus.SubscribeFrames(sub, bus.AllFrames, bus.QueueConfig{Name: "frames", Size: 100, Policy: bus.DropNewest})
	if err != nil {
		t.Fatal(err)
	}
	sources := bustest.Collect[bus.SourceEvent](t, sub, bus.AllSources, 100)
	cfg.Counters = bus.NewCounters()
	cfg.Logger = slog.New(slog.DiscardHandler)
	s, err := New(pub, onlyWhatIsSet(cfg))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &stageRig{stage: s, frames: frames, sources: sources, counters: cfg.Counters, done: make(chan error, 1), cancel: cancel}
	go func() { r.done <- s.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(5 * time.Second):
			t.Error("Run did not return within 5s of cancel")
		}
	})
	return r
}

// wait returns Run's result, failing the test if it does not end within timeout.
func (r *stageRig) wait(t *testing.T, timeout time.Duration) error {
	t.Helper()
	select {
	case err := <-r.done:
		r.done <- err // for the cleanup
		return err
	case <-time.After(timeout):
		t.Fatalf("Run did not end within %s", timeout)
		return nil
	}
}

// checkAccounting fails unless every frame read ended in exactly one counter.
func checkAccounting(t *testing.T, c *bus.Counters) {
	t.Helper()
	s := c.Snapshot()
	ended := s["capture.frames_sent"] + s["capture.frames_unchanged"] + s["capture.frames_superseded"] +
		s["capture.frames.stale"] + s["capture.frames.failed"] + s["capture.frames.invalid"]
	if ended != s["capture.frames_read"] {
		t.Errorf("counters do not add up to the frames read: %v", s)
	}
}

func TestStagePlaysClipSceneByScene(t *testing.T) {
	scenes := []clipScene{testScenes[0], testScenes[2], testScenes[3], testScenes[5]}
	for i := range scenes {
		scenes[i].seconds = 1
	}
	clip := makeClip(t, scenes, 320, 180, 15)
	src, _, err := Open(context.Background(), "file:"+clip, SourceConfig{})
	if err != nil {
		t.Fatal(err)
	}
	r := startStage(t, Config{Source: src, MinInterval: 200 * time.Millisecond, MaxAge: 5 * time.Second})
	if err := r.wait(t, 30*time.Second); err != nil {
		t.Fatalf("Run: %v", err)
	}
	var reasons []string
	for range len(scenes) {
		f := bustest.Next(t, r.frames, 5*time.Second)
		reasons = append(reasons, f.Reason)
		if f.Width != 320 || f.Height != 180 || f.Camera != "cam0" {
			t.Errorf("frame %dx%d from %q, want 320x180 from cam0", f.Width, f.Height, f.Camera)
		}
	}
	if strings.Join(reasons, " ") != "first changed changed changed" {
		t.Errorf("reasons %v, want one frame per scene", reasons)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	if f, err := r.frames.Next(ctx); err == nil {
		t.Errorf("extra frame beyond one per scene: %+v", f)
	}
	var states []string
	for range 2 {
		states = append(states, bustest.Next(t, r.sources, 2*time.Second).State)
	}
	if strings.Join(states, " ") != "up ended" {
		t.Errorf("source events %v, want up, ended", states)
	}
	checkAccounting(t, r.counters)
}

// flakySource is a test double: it delivers frames of one scene, then fails.
type flakySource struct {
	img  *image.YCbCr
	left int // frames before it fails
	once sync.Once
	done chan struct{}
	tick *time.Ticker
}

func (s *flakySource) Read() (image.Image, func(), error) {
	select {
	case <-s.done:
		return nil, func() {}, io.EOF
	case <-s.tick.C:
	}
	if s.left == 0 {
		return nil, func() {}, errors.New("camera unplugged")
	}
	s.left--
	return s.img, func() {}, nil
}

func (s *flakySource) Close() error {
	s.once.Do(func() { close(s.done); s.tick.Stop() })
	return nil
}

func (s *flakySource) Describe() string { return "flaky test camera" }

func newFlaky(img *image.YCbCr, frames int) *flakySource {
	return &flakySource{img: img, left: frames, done: make(chan struct{}), tick: time.NewTicker(5 * time.Millisecond)}
}

func TestStageReopensFailedSource(t *testing.T) {
	var mu sync.Mutex
	attempts := 0
	reopen := func(ctx context.Context) (Source, error) {
		mu.Lock()
		defer mu.Unlock()
		attempts++
		if attempts == 1 {
			return nil, errors.New("still unplugged")
		}
		return newFlaky(scene(green, 160, 90, demoBox{image.Rect(2, 2, 8, 8), red}), 1<<30), nil
	}
	r := startStage(t, Config{Source: newFlaky(scene(beige, 160, 90), 5), Reopen: reopen,
		Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})

	up := bustest.Next(t, r.sources, 2*time.Second)
	down := bustest.Next(t, r.sources, 2*time.Second)
	again := bustest.Next(t, r.sources, 2*time.Second)
	if up.State != bus.SourceUp || down.State != bus.SourceDown || again.State != bus.SourceUp {
		t.Fatalf("source events %s, %s, %s; want up, down, up", up.State, down.State, again.State)
	}
	if !strings.Contains(down.Error, "camera unplugged") || down.RetryInMS != 10 || down.Camera != "cam0" || down.ID == "" {
		t.Errorf("down event %+v: want the error, the retry delay and the camera", down)
	}
	if again.Attempt != 2 || again.DownForMS <= 0 {
		t.Errorf("up event %+v: want attempt 2 and the outage length", again)
	}
	first, changed := bustest.Next(t, r.frames, 2*time.Second), bustest.Next(t, r.frames, 2*time.Second)
	if first.Reason != "first" || changed.Reason != "changed" || changed.Seq != 2 {
		t.Errorf("frames %s #%d, %s #%d; want first, then the new scene after the reopen as changed #2", first.Reason, first.Seq, changed.Reason, changed.Seq)
	}
	if n := r.counters.Counter("capture.source_restarts").Load(); n != 1 {
		t.Errorf("source_restarts = %d, want 1", n)
	}
}

func TestStageWithoutReopenReturnsFailure(t *testing.T) {
	r := startStage(t, Config{Source: newFlaky(scene(beige, 64, 36), 3)})
	err := r.wait(t, 5*time.Second)
	if err == nil || !strings.Contains(err.Error(), "camera unplugged") {
		t.Fatalf("Run = %v, want the source's failure", err)
	}
	bustest.Next(t, r.sources, time.Second) // up
	if e := bustest.Next(t, r.sources, time.Second); e.State != bus.SourceFailed {
		t.Errorf("event %+v, want failed (nothing reopens it)", e)
	}
}

func TestStageDropsMalformedFrames(t *testing.T) {
	bad := scene(beige, 64, 36)
	bad.Y = bad.Y[:10]
	r := startStage(t, Config{Source: newFlaky(bad, 5)})
	r.wait(t, 5*time.Second)
	if n := r.counters.Counter("capture.frames.invalid").Load(); n != 5 {
		t.Errorf("invalid = %d, want 5", n)
	}
	checkAccounting(t, r.counters)
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Source: newFlaky(nil, 0), Camera: "bad name"},
		{Source: newFlaky(nil, 0), MaxInterval: 100 * time.Millisecond}, // below the default MinInterval
		{Source: newFlaky(nil, 0), Backoff: -1},
	} {
		if _, err := New(nil, cfg); err == nil {
			t.Errorf("New(%+v) accepted", cfg)
		}
		if cfg.Source != nil {
			cfg.Source.Close()
		}
	}
}

// onlyWhatIsSet turns off the sampling settings a test leaves zero (heartbeat, minimum and
// maximum interval, maximum age), which in Config take their defaults: each test turns on
// what it tests.
func onlyWhatIsSet(cfg Config) Config {
	for _, d := range []*time.Duration{&cfg.Heartbeat, &cfg.MinInterval, &cfg.MaxInterval, &cfg.MaxAge} {
		if *d == 0 {
			*d = Off
		}
	}
	return cfg
}

// TestZeroIsTheDefaultAndOffIsOff: a zero sampling setting is its Default*, Off (any
// negative) turns it off, the one convention of every config with an off.
func TestZeroIsTheDefaultAndOffIsOff(t *testing.T) {
	cases := []struct {
		in, def, want time.Duration
	}{
		{0, DefaultHeartbeat, DefaultHeartbeat},
		{Off, DefaultHeartbeat, 0},
		{-time.Second, DefaultMaxAge, 0},
		{3 * time.Second, DefaultMaxAge, 3 * time.Second},
	}
	for _, c := range cases {
		if got := setting(c.in, c.def); got != c.want {
			t.Errorf("setting(%s, %s) = %s, want %s", c.in, c.def, got, c.want)
		}
	}
	src := newFlaky(scene(beige, 64, 36), 1<<30)
	defer src.Close()
	s, err := New(bustest.Conn(t, bustest.Server(t), "capture"), Config{Source: src, Heartbeat: Off, MaxAge: Off})
	if err != nil {
		t.Fatal(err)
	}
	if s.cfg.Heartbeat != 0 || s.cfg.MaxAge != 0 || s.cfg.MinInterval != DefaultMinInterval || s.cfg.MaxInterval != DefaultMaxInterval {
		t.Errorf("in force: heartbeat %s, max age %s (want off), min interval %s, max interval %s (want the defaults)",
			s.cfg.Heartbeat, s.cfg.MaxAge, s.cfg.MinInterval, s.cfg.MaxInterval)
	}
}

func ExampleOpen() {
	_, _, err := Open(context.Background(), "toaster", SourceConfig{})
	fmt.Println(errors.Is(err, ErrUnknownSource))
	// Output: true
}

func TestTestPatternStopsCleanly(t *testing.T) {
	src, _, err := Open(context.Background(), "test", SourceConfig{Width: 320, Height: 240, FPS: 30})
	if err != nil {
		t.Fatal(err)
	}
	r := startStage(t, Config{Source: src})
	if f := bustest.Next(t, r.frames, 5*time.Second); f.Reason != "first" {
		t.Errorf("first frame %+v", f)
	}
	r.cancel()
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Errorf("Run = %v", err)
	}
}
