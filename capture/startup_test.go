package capture

import (
	"bytes"
	"context"
	"errors"
	"image"
	"image/png"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// TestSourceDownAtStartIsRetried: a camera that is down when the run starts is reported (a
// down event naming it) and retried with backoff until it comes up.
func TestSourceDownAtStartIsRetried(t *testing.T) {
	var attempts atomic.Int32
	reopen := func(ctx context.Context) (Source, error) {
		if attempts.Add(1) <= 3 {
			return nil, errors.New("connection refused")
		}
		return newFlaky(scene(beige, 160, 90), 1<<30), nil
	}
	r := startStage(t, Config{Reopen: reopen, Spec: "rtsp://cam:xxxxx@cam.local/s", Backoff: 10 * time.Millisecond, MaxBackoff: 40 * time.Millisecond})
	down := bustest.Next(t, r.sources, 2*time.Second)
	if down.State != bus.SourceDown || down.Source != "rtsp://cam:xxxxx@cam.local/s" || !strings.Contains(down.Error, "connection refused") || down.RetryInMS != 10 {
		t.Fatalf("first event %+v: want down, naming the source, its error and the retry delay", down)
	}
	up := bustest.Next(t, r.sources, 5*time.Second)
	if up.State != bus.SourceUp || up.Attempt != 3 || up.DownForMS <= 0 {
		t.Fatalf("event %+v: want up after 3 reopen attempts", up)
	}
	bustest.Next(t, r.frames, 5*time.Second)
	if n := r.counters.Counter("capture.source_reopen.failed").Load(); n != 2 {
		t.Errorf("reopen failures counted %d, want 2 (the first open is not a reopen)", n)
	}
}

// TestPermanentFailureAtStartEndsOnlyThatCamera: a source that can never work is reported as
// failed, not retried, and its stage returns the error.
func TestPermanentFailureAtStartEndsOnlyThatCamera(t *testing.T) {
	var attempts atomic.Int32
	reopen := func(ctx context.Context) (Source, error) {
		attempts.Add(1)
		return Reopener("file:/no/such/clip.mp4", SourceConfig{})(ctx)
	}
	r := startStage(t, Config{Reopen: reopen, Spec: "file:/no/such/clip.mp4", Backoff: 10 * time.Millisecond})
	err := r.wait(t, 5*time.Second)
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "no such file") {
		t.Fatalf("Run = %v, want the permanent failure", err)
	}
	e := bustest.Next(t, r.sources, time.Second)
	if e.State != bus.SourceFailed || !strings.Contains(e.Error, "no such file") {
		t.Errorf("event %+v, want failed with the reason", e)
	}
	if n := attempts.Load(); n != 1 {
		t.Errorf("%d attempts, want 1: retrying cannot find a missing file", n)
	}
}

// TestGroupRunsUntilEveryCameraEnds: one camera whose source ends (or fails for good) does not
// stop another; the group returns when the last one has.
func TestGroupRunsUntilEveryCameraEnds(t *testing.T) {
	t.Cleanup(func() { goleak.VerifyNone(t) }) // registered first, so it runs after every other cleanup
	srv := bustest.Server(t)
	conn := bustest.Conn(t, srv, "capture")
	sub := bustest.Conn(t, srv, "test")
	sources := bustest.Collect[bus.SourceEvent](t, sub, bus.AllSources, 100)
	live := newFlaky(scene(beige, 64, 36), 1<<30)
	newStage := func(camera string, cfg Config) *Stage {
		cfg.Camera, cfg.Logger = camera, slog.New(slog.DiscardHandler)
		s, err := New(conn, onlyWhatIsSet(cfg))
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	g := Group{
		newStage("gone", Config{Reopen: func(context.Context) (Source, error) {
			return nil, permanent(errors.New("not a video"))
		}}),
		newStage("live", Config{Source: live}),
		newStage("short", Config{Source: &endingSource{flakySource: newFlaky(scene(green, 64, 36, demoBox{image.Rect(1, 1, 5, 5), red}), 1<<30), frames: 3}}),
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- g.Run(ctx) }()
	states := map[string]string{}
	for states["gone"] != bus.SourceFailed || states["short"] != bus.SourceEnded || states["live"] != bus.SourceUp {
		e := bustest.Next(t, sources, 5*time.Second)
		states[e.Camera] = e.State
	}
	select {
	case err := <-done:
		t.Fatalf("the group stopped (%v) while a camera still runs", err)
	case <-time.After(100 * time.Millisecond):
	}
	cancel()
	err := <-done
	if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "camera gone") {
		t.Errorf("Run = %v, want the failed camera's error", err)
	}
}

// endingSource delivers some frames, then ends like a clip.
type endingSource struct {
	*flakySource
	frames int
}

func (s *endingSource) Read() (image.Image, func(), error) {
	if s.frames == 0 {
		return nil, func() {}, io.EOF
	}
	s.frames--
	return s.flakySource.Read()
}

// TestTinyImageFile: a 1×1 (or 3×3) image as a file: source is padded to even sides, which
// 4:2:0 frames need, instead of being rounded down to nothing.
func TestTinyImageFile(t *testing.T) {
	needFFmpeg(t)
	for _, side := range []int{1, 3} {
		path := filepath.Join(t.TempDir(), "tiny.png")
		img := image.NewRGBA(image.Rect(0, 0, side, side))
		var buf bytes.Buffer
		if err := png.Encode(&buf, img); err != nil {
			t.Fatal(err)
		}
		os.WriteFile(path, buf.Bytes(), 0o644)
		src, _, err := Open(context.Background(), "file:"+path, SourceConfig{})
		if err != nil {
			t.Fatalf("%d×%d image: %v", side, side, err)
		}
		frame, _, err := src.Read()
		src.Close()
		if err != nil {
			t.Fatalf("%d×%d image: %v", side, side, err)
		}
		if b := frame.Bounds(); b.Dx() != side+1 || b.Dy() != side+1 {
			t.Errorf("%d×%d image gave a %v frame, want %d×%d", side, side, b, side+1, side+1)
		}
	}
}
