package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"image/jpeg"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/internal/procgroup"
)

func TestOpenErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "notes.txt"), []byte("no images here"), 0o644)
	cases := []struct {
		spec string
		cfg  SourceConfig
		want []string
	}{
		{"toaster", SourceConfig{}, []string{"unknown source", "file:PATH", "rtsp://", "camera:INDEX", "cameras found:"}},
		{"rtsp:nohost", SourceConfig{}, []string{"unknown source"}},
		{"file:/no/such/clip.mp4", SourceConfig{}, []string{"no such file"}},
		{"dir:" + dir, SourceConfig{}, []string{"no images"}},
		{"file:" + filepath.Join(dir, "notes.txt"), SourceConfig{FFmpeg: "/nonexistent/ffmpeg"}, []string{"ffmpeg not found", "apt-get install ffmpeg", "brew install ffmpeg"}},
		{"rtsp://127.0.0.1:1/x", SourceConfig{FFmpeg: "/nonexistent/ffmpeg"}, []string{"ffmpeg not found"}},
		{"dir:" + dir, SourceConfig{FFmpeg: "/nonexistent/ffmpeg"}, []string{"ffmpeg not found"}},
	}
	for _, c := range cases {
		src, _, err := Open(context.Background(), c.spec, c.cfg)
		if err == nil {
			src.Close()
			t.Errorf("Open(%q) succeeded", c.spec)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("Open(%q) = %q, want it to mention %q", c.spec, err, w)
			}
		}
	}
}

func TestFileThatIsNotVideo(t *testing.T) {
	needFFmpeg(t)
	path := filepath.Join(t.TempDir(), "clip.mp4")
	os.WriteFile(path, []byte("this is not a video"), 0o644)
	_, _, err := Open(context.Background(), "file:"+path, SourceConfig{})
	if err == nil || !strings.Contains(err.Error(), "ffmpeg said") {
		t.Fatalf("Open of a non-video = %v, want an error with ffmpeg's explanation", err)
	}
}

func TestFFmpegCloseKillsProcess(t *testing.T) {
	clip := makeClip(t, testScenes[:1], 160, 90, 15)
	src, _, err := Open(context.Background(), "file:"+clip, SourceConfig{Loop: true})
	if err != nil {
		t.Fatal(err)
	}
	fs := src.(*ffmpegSource)
	if _, _, err := src.Read(); err != nil {
		t.Fatal(err)
	}
	pid := fs.cmd.Process.Pid
	if pgid, err := syscall.Getpgid(pid); err != nil || pgid != pid {
		t.Errorf("ffmpeg process group %d (%v), want its own (%d)", pgid, err, pid)
	}
	readErr := make(chan error, 1)
	go func() {
		for {
			if _, _, err := src.Read(); err != nil {
				readErr <- err
				return
			}
		}
	}()
	src.Close()
	select {
	case err := <-readErr:
		if !errors.Is(err, io.EOF) {
			t.Errorf("Read after Close = %v, want io.EOF", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Read still blocked 5s after Close")
	}
	if fs.cmd.ProcessState == nil {
		t.Error("ffmpeg not reaped after Close")
	}
	if procgroup.Alive(fs.cmd) {
		t.Error("ffmpeg's process group still exists after Close")
	}
	src.Close() // twice is fine
}

func TestFileLoopsAndEnds(t *testing.T) {
	clip := makeClip(t, []clipScene{{"bars", "smptebars", 0.4}}, 96, 64, 10)
	for _, loop := range []bool{false, true} {
		src, _, err := Open(context.Background(), "file:"+clip, SourceConfig{Loop: loop, FPS: 10})
		if err != nil {
			t.Fatal(err)
		}
		n := 0
		for ; n < 12; n++ {
			img, _, err := src.Read()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			if img.Bounds().Dx() != 96 || img.Bounds().Dy() != 64 {
				t.Fatalf("frame %v, want 96x64", img.Bounds())
			}
		}
		src.Close()
		if loop && n != 12 || !loop && (n < 3 || n > 5) {
			t.Errorf("loop %v: %d frames of a 4-frame clip", loop, n)
		}
	}
}

func TestFileScaledToFit(t *testing.T) {
	clip := makeClip(t, []clipScene{{"bars", "smptebars", 0.2}}, 640, 480, 10)
	src, _, err := Open(context.Background(), "file:"+clip, SourceConfig{Width: 320, Height: 180})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	img, _, err := src.Read()
	if err != nil {
		t.Fatal(err)
	}
	if got := img.Bounds().Size(); got != (image.Point{240, 180}) {
		t.Errorf("640x480 in a 320x180 box: %v, want 240x180", got)
	}
	if !strings.Contains(src.Describe(), "240x180") {
		t.Errorf("Describe() = %q, want the size", src.Describe())
	}
}

func TestDirSlideshow(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	for i, lavfi := range []string{"smptebars=s=200x100", "color=c=darkgreen:s=100x200"} {
		out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", lavfi, "-frames:v", "1",
			filepath.Join(dir, fmt.Sprintf("%d.png", i))).CombinedOutput()
		if err != nil {
			t.Fatalf("make image: %v: %s", err, out)
		}
	}
	os.WriteFile(filepath.Join(dir, "2.jpg"), []byte("broken"), 0o644) // skipped, with a warning
	src, _, err := Open(context.Background(), "dir:"+dir, SourceConfig{Width: 160, Height: 90, FPS: 20, SlideDuration: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	var g Gate
	changes := 0
	for {
		img, _, err := src.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 160 || img.Bounds().Dy() != 90 {
			t.Fatalf("slide %v, want the 160x90 canvas", img.Bounds())
		}
		if send, _, _ := g.Check(Sign(img), time.Now()); send {
			changes++
		}
	}
	if changes < 2 {
		t.Errorf("%d distinct slides shown, want the 2 images", changes)
	}
}

// mjpegServer serves a multipart MJPEG stream, like an IP camera, until broken is set; while
// broken it answers 503.
type mjpegServer struct {
	*httptest.Server
	broken  atomic.Bool
	stalled atomic.Bool // keep the connection open but send nothing more
}

func newMJPEGServer(t *testing.T) *mjpegServer {
	var frame strings.Builder
	jpeg.Encode(&frame, scene(beige, 160, 90, demoBox{image.Rect(1, 3, 5, 8), red}), nil)
	s := &mjpegServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s.broken.Load() {
			http.Error(w, "camera rebooting", http.StatusServiceUnavailable)
			return
		}
		mw := multipart.NewWriter(w)
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+mw.Boundary())
		for !s.broken.Load() && r.Context().Err() == nil {
			if s.stalled.Load() {
				<-r.Context().Done()
				return
			}
			p, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"image/jpeg"}, "Content-Length": {fmt.Sprint(frame.Len())}})
			if err != nil {
				return
			}
			io.WriteString(p, frame.String())
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

func TestStreamGoesDownAndComesBack(t *testing.T) {
	needFFmpeg(t)
	srv := newMJPEGServer(t)
	cfg := SourceConfig{Width: 160, Height: 90, FPS: 10}
	src, _, err := Open(context.Background(), srv.URL+"/video.mjpg", cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := startStage(t, Config{Source: src, Reopen: Reopener(srv.URL+"/video.mjpg", cfg), Backoff: 50 * time.Millisecond, MaxBackoff: 200 * time.Millisecond})
	if e := bustest.Next(t, r.sources, 5*time.Second); e.State != bus.SourceUp || !strings.Contains(e.Source, "stream http://127.0.0.1") {
		t.Fatalf("first event %+v, want up", e)
	}
	bustest.Next(t, r.frames, 10*time.Second)
	srv.broken.Store(true)
	if e := bustest.Next(t, r.sources, 10*time.Second); e.State != bus.SourceDown {
		t.Fatalf("event %+v, want down", e)
	}
	bustest.Eventually(t, 10*time.Second, "reopen attempts while the camera is down", func() bool {
		return r.counters.Counter("capture.source_reopen.failed").Load() >= 2
	})
	read := r.counters.Counter("capture.frames_read").Load()
	srv.broken.Store(false)
	e := bustest.Next(t, r.sources, 15*time.Second)
	if e.State != bus.SourceUp || e.Attempt < 1 {
		t.Fatalf("event %+v, want up after reopening", e)
	}
	bustest.Eventually(t, 10*time.Second, "frames after the reopen", func() bool {
		return r.counters.Counter("capture.frames_read").Load() > read
	})
	r.cancel()
	r.wait(t, 5*time.Second)
	srv.Close() // before the leak check
}

func TestStalledStreamIsKilled(t *testing.T) {
	needFFmpeg(t)
	srv := newMJPEGServer(t)
	// A generous timeout for ffmpeg's start (probing takes seconds on a loaded machine), then a
	// short one for the stall under test: Read arms the watchdog with s.stall on every frame.
	src, _, err := Open(context.Background(), srv.URL+"/video.mjpg", SourceConfig{Width: 160, Height: 90, FPS: 10, StallTimeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	src.(*ffmpegSource).stall = 700 * time.Millisecond
	if _, _, err := src.Read(); err != nil {
		t.Fatal(err)
	}
	srv.stalled.Store(true)
	for {
		_, _, err := src.Read()
		if err == nil {
			continue
		}
		if errors.Is(err, io.EOF) || !strings.Contains(err.Error(), "no frame for 700ms") {
			t.Fatalf("stalled stream: %v, want a failure that says no frame came", err)
		}
		break
	}
	src.Close()
	srv.Close()
}

func TestHLSPlaylist(t *testing.T) {
	needFFmpeg(t)
	dir := t.TempDir()
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi", "-i", "smptebars=s=320x180:r=10:d=2",
		"-c:v", "mpeg2video", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod", filepath.Join(dir, "index.m3u8")).CombinedOutput()
	if err != nil {
		t.Skipf("this ffmpeg cannot write HLS: %v: %s", err, out)
	}
	srv := httptest.NewServer(http.FileServer(http.Dir(dir)))
	defer srv.Close()
	src, _, err := Open(context.Background(), srv.URL+"/index.m3u8", SourceConfig{Width: 320, Height: 180, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	for range 5 {
		img, _, err := src.Read()
		if err != nil {
			t.Fatal(err)
		}
		if img.Bounds().Dx() != 320 {
			t.Fatalf("frame %v, want 320 wide", img.Bounds())
		}
	}
}
