package capture

import (
	"context"
	"errors"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/narrator-dev/narrator/internal/procgroup"
)

// ErrNoFFmpeg is returned when a source needs ffmpeg and it is not installed.
var ErrNoFFmpeg = errors.New("ffmpeg not found")

// ffmpegHelp says how to install ffmpeg.
const ffmpegHelp = "file:, dir:, rtsp:// and http(s):// sources are decoded by ffmpeg; install it with `sudo apt-get install ffmpeg` (Debian, Ubuntu) or `brew install ffmpeg` (macOS)"

// errStreamEnded is why a stream, or a clip whose ffmpeg failed, stopped delivering frames.
var errStreamEnded = errors.New("no more frames")

// FindFFmpeg returns the path of the ffmpeg binary the ffmpeg sources use by default, or an
// error that says how to install it.
func FindFFmpeg() (string, error) { return lookFFmpeg("ffmpeg") }

// lookFFmpeg finds the ffmpeg binary.
func lookFFmpeg(bin string) (string, error) {
	path, err := exec.LookPath(bin)
	if err != nil {
		return "", fmt.Errorf("%w (looked for %q: %w): %s", ErrNoFFmpeg, bin, err, ffmpegHelp)
	}
	return path, nil
}

// ffmpegOutputArgs asks ffmpeg for video only, at most fps frames a second, scaled down (never
// up) to fit width×height, as 8-bit 4:2:0 YUV4MPEG2 on stdout, in full-range BT.601 YCbCr,
// the colours JPEG has (so black stays black and white white; see colour.go).
func ffmpegOutputArgs(cfg SourceConfig) []string {
	vf := fmt.Sprintf("fps=%g,scale=w='min(%d,iw)':h='min(%d,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2:out_range=full:out_color_matrix=bt601",
		cfg.FPS, cfg.Width, cfg.Height)
	return []string{"-an", "-sn", "-dn", "-vf", vf, "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "pipe:1"}
}

// ffmpegInputArgs are the input options for a file or a stream URL.
func ffmpegInputArgs(input string, file bool, cfg SourceConfig) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error"}
	switch {
	case file:
		args = append(args, "-re") // play at the file's own pace, like a camera
		if cfg.Loop {
			args = append(args, "-stream_loop", "-1")
		}
	case strings.HasPrefix(input, "rtsp://") || strings.HasPrefix(input, "rtsps://"):
		args = append(args, "-rtsp_transport", "tcp", "-timeout", "5000000", "-fflags", "nobuffer")
	default: // http(s): MJPEG, HLS, or anything else ffmpeg reads over HTTP (nobuffer breaks HLS)
		args = append(args, "-rw_timeout", "5000000")
	}
	return append(args, "-i", input)
}

// ffmpegSource decodes a file or a stream with an ffmpeg subprocess that writes YUV4MPEG2 to a
// pipe; frames are read straight into one reused image. ffmpeg runs in its own process group
// and is killed when the source is closed, or when it delivers no frame for the stall timeout.
type ffmpegSource struct {
	desc  string
	live  bool // a stream: its end is a failure, not the end of the clip
	stall time.Duration

	cmd      *exec.Cmd
	pipe     *os.File
	y4m      *y4mReader
	stderr   *procgroup.Tail
	watchdog *time.Timer

	closed   atomic.Bool
	why      atomic.Pointer[string] // why it was killed, if it was
	waitOnce sync.Once
	waitErr  error
}

// startFFmpeg starts ffmpeg with args and reads the stream header, giving up when ctx ends or
// no header comes within the stall timeout.
func startFFmpeg(ctx context.Context, cfg SourceConfig, args []string, desc string, live bool) (*ffmpegSource, error) {
	path, err := lookFFmpeg(cfg.FFmpeg)
	if err != nil {
		return nil, err
	}
	r, w, err := os.Pipe()
	if err != nil {
		return nil, fmt.Errorf("start ffmpeg for %s: %w", desc, err)
	}
	s := &ffmpegSource{desc: desc, live: live, stall: cfg.StallTimeout, pipe: r, stderr: &procgroup.Tail{Lines: 3}}
	// The command's context never ends: Close ends ffmpeg (procgroup.Own wants a context).
	s.cmd = exec.CommandContext(context.Background(), path, args...)
	s.cmd.Stdout, s.cmd.Stderr = w, s.stderr
	procgroup.Own(s.cmd)
	err = s.cmd.Start()
	_ = w.Close() // ffmpeg holds the write end now; the pipe ends when ffmpeg does
	if err != nil {
		_ = r.Close()
		return nil, fmt.Errorf("start ffmpeg for %s: %w", desc, err)
	}
	s.watchdog = time.AfterFunc(s.stall, func() { s.kill(fmt.Sprintf("no frame for %s", s.stall)) })
	err = whileBlocked(ctx, func() error {
		var err error
		s.y4m, err = newY4MReader(r)
		return err
	}, func() { s.kill("cancelled") })
	if err != nil {
		err = s.failure(err)
		_ = s.Close()
		return nil, err
	}
	s.desc = fmt.Sprintf("%s at %dx%d", desc, s.y4m.width, s.y4m.height)
	return s, nil
}

// whileBlocked runs fn; if ctx ends first, it calls cancel, which must make fn return. It
// returns once fn and cancel are done.
func whileBlocked(ctx context.Context, fn func() error, cancel func()) error {
	done := make(chan struct{})
	exited := make(chan struct{})
	go func() {
		defer close(exited)
		select {
		case <-ctx.Done():
			cancel()
		case <-done:
		}
	}()
	err := fn()
	close(done)
	<-exited
	if ctx.Err() != nil {
		return ctx.Err()
	}
	return err
}

// Read returns the next frame, valid until the next Read. A clip that ends returns io.EOF; a
// stream that ends, a stall or an ffmpeg failure returns an error with ffmpeg's last words.
func (s *ffmpegSource) Read() (image.Image, func(), error) {
	img, err := s.y4m.next()
	if err != nil {
		if s.closed.Load() {
			return nil, noRelease, io.EOF
		}
		return nil, noRelease, s.failure(err)
	}
	s.watchdog.Reset(s.stall)
	return img, noRelease, nil
}

func noRelease() {}

// failure waits for ffmpeg to exit and explains why reading failed with err; a clip that ended
// cleanly is io.EOF.
func (s *ffmpegSource) failure(err error) error {
	s.kill("") // it may still run, e.g. after a malformed frame
	werr := s.wait()
	why := ""
	if p := s.why.Load(); p != nil && *p != "" {
		why = *p + "; "
	}
	if errors.Is(err, io.EOF) {
		if !s.live && werr == nil && why == "" {
			return io.EOF
		}
		err = errStreamEnded // not io.EOF: a stream that ends has failed
	}
	if werr != nil && why == "" {
		why = "ffmpeg " + werr.Error() + "; "
	}
	if last := s.stderr.OneLine(); last != "" {
		return fmt.Errorf("%s: %s%w; ffmpeg said: %s", s.desc, why, err, last)
	}
	return fmt.Errorf("%s: %s%w", s.desc, why, err)
}

// kill ends ffmpeg and everything it started, remembering the first reason given.
func (s *ffmpegSource) kill(why string) {
	if why != "" {
		s.why.CompareAndSwap(nil, &why)
	}
	_ = procgroup.Kill(s.cmd) // a group already gone is not an error; nothing else can fail here
}

func (s *ffmpegSource) wait() error {
	s.waitOnce.Do(func() { s.waitErr = s.cmd.Wait() })
	return s.waitErr
}

// Close kills ffmpeg and waits for it. It may be called while Read blocks, which then returns
// io.EOF, and more than once.
func (s *ffmpegSource) Close() error {
	s.closed.Store(true)
	s.watchdog.Stop()
	s.kill("closed")
	_ = s.wait() // killed: its exit status says only that
	return s.pipe.Close()
}

// Describe names the input and the frame size.
func (s *ffmpegSource) Describe() string { return s.desc }

// LimitedRange reports whether ffmpeg said its output is limited range after all.
func (s *ffmpegSource) LimitedRange() bool { return s.y4m.limited }

// openFile plays a video file in real time, optionally looping.
func openFile(ctx context.Context, path string, cfg SourceConfig) (Source, error) {
	if _, err := os.Stat(path); err != nil {
		return nil, fmt.Errorf("file source: %w", err)
	}
	args := append(ffmpegInputArgs(path, true, cfg), ffmpegOutputArgs(cfg)...)
	desc := "file " + path
	if cfg.Loop {
		desc += " (looping)"
	}
	return startFFmpeg(ctx, cfg, args, desc, false)
}

// openStream reads an rtsp:// or http(s):// stream.
func openStream(ctx context.Context, url string, cfg SourceConfig) (Source, error) {
	args := append(ffmpegInputArgs(url, false, cfg), ffmpegOutputArgs(cfg)...)
	return startFFmpeg(ctx, cfg, args, "stream "+redactURL(url), true)
}

// redactURL hides a password in a URL, for logs and events.
func redactURL(u string) string {
	scheme, rest, ok := strings.Cut(u, "://")
	if !ok {
		return u
	}
	host, path, _ := strings.Cut(rest, "/")
	if at := strings.LastIndex(host, "@"); at >= 0 {
		if user, _, ok := strings.Cut(host[:at], ":"); ok {
			host = user + ":xxxxx" + host[at:]
		}
	}
	if path != "" || strings.Contains(rest, "/") {
		return scheme + "://" + host + "/" + path
	}
	return scheme + "://" + host
}
