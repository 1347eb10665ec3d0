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
	"github.com/narrator-dev/narrator/internal/redact"
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
// up) to fit width×height and, with MaxEdge, a long edge of at most MaxEdge (the size the
// stage publishes, so no larger frame crosses the pipe only to be scaled down in Go), as 8-bit
// 4:2:0 YUV4MPEG2 on stdout, in full-range BT.601 YCbCr, the colours JPEG has (so black stays
// black and white white; see colour.go). 4:2:0 needs even sides: an odd side is first padded
// by one pixel (the scaler's rounding down to even sides would make a 1×1 image 0×0).
func ffmpegOutputArgs(cfg SourceConfig) []string {
	w, h := cfg.Width, cfg.Height
	if cfg.MaxEdge > 0 { // fitting both boxes is fitting the smaller one
		w, h = min(w, cfg.MaxEdge), min(h, cfg.MaxEdge)
	}
	vf := fmt.Sprintf("fps=%g,pad=ceil(iw/2)*2:ceil(ih/2)*2,scale=w='min(%d,iw)':h='min(%d,ih)':force_original_aspect_ratio=decrease:force_divisible_by=2:out_range=full:out_color_matrix=bt601",
		cfg.FPS, w, h)
	return []string{"-an", "-sn", "-dn", "-vf", vf, "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "pipe:1"}
}

// ffmpegFileArgs are the input options for a video file, played at its own pace like a camera.
func ffmpegFileArgs(path string, cfg SourceConfig) []string {
	args := []string{"-hide_banner", "-nostdin", "-loglevel", "error", "-re"}
	if cfg.Loop {
		args = append(args, "-stream_loop", "-1")
	}
	return append(args, "-i", path)
}

// streamProtocols are the protocols a stream may use. ffmpeg opens the stream from a concat
// script (see streamScript), and the script's protocols must be named.
const streamProtocols = "file,http,https,httpproxy,tcp,tls,crypto,data,rtsp,rtp,srtp,udp"

// ffmpegStreamArgs are the input options for a stream whose URL ffmpeg reads from script.
func ffmpegStreamArgs(script string) []string {
	return []string{"-hide_banner", "-nostdin", "-loglevel", "error",
		"-f", "concat", "-safe", "0", "-protocol_whitelist", streamProtocols, "-i", script}
}

// streamScript is an ffconcat script that opens url with the options its protocol needs.
// ffmpeg reads the URL from this file, so a password in it never appears on ffmpeg's command
// line, where every user of the machine could read it (ps, /proc/PID/cmdline).
func streamScript(url string) (string, error) {
	if strings.ContainsAny(url, "\x00\r\n") {
		return "", fmt.Errorf("stream URL %q: it contains a line break or NUL", redact.URL(url))
	}
	var b strings.Builder
	b.WriteString("ffconcat version 1.0\n")
	// In a quoted ffconcat token nothing is special but the closing quote: end the quote,
	// write an escaped quote, open it again.
	b.WriteString("file '" + strings.ReplaceAll(url, "'", `'\''`) + "'\n")
	if strings.HasPrefix(url, "rtsp://") || strings.HasPrefix(url, "rtsps://") {
		b.WriteString("option rtsp_transport tcp\noption timeout 5000000\noption fflags nobuffer\n")
	} else { // http(s): MJPEG, HLS, or anything else ffmpeg reads over HTTP (nobuffer breaks HLS)
		b.WriteString("option rw_timeout 5000000\n")
	}
	return b.String(), nil
}

// writeSecretFile writes data to a new file only its owner can read (0600) and returns its path.
func writeSecretFile(pattern, data string) (string, error) {
	f, err := os.CreateTemp("", pattern) // CreateTemp makes the file 0600
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(data)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		_ = os.Remove(f.Name()) // the write's error is the one to report
		return "", err
	}
	return f.Name(), nil
}

// ffmpegSource decodes a file or a stream with an ffmpeg subprocess that writes YUV4MPEG2 to a
// pipe (framePipe); frames are read straight into one reused image. ffmpeg runs in its own process group
// and is killed when the source is closed, or when it delivers no frame for the stall timeout.
type ffmpegSource struct {
	desc  string
	live  bool // a stream: its end is a failure, not the end of the clip
	stall time.Duration

	cmd      *exec.Cmd
	pipe     frameConn
	y4m      *y4mReader
	stderr   *procgroup.Tail
	watchdog *time.Timer
	secrets  []string // masked in everything ffmpeg says
	script   string   // a file ffmpeg reads the stream URL from, removed once it has

	closed   atomic.Bool
	why      atomic.Pointer[string] // why it was killed, if it was
	waitOnce sync.Once
	waitErr  error
}

// startFFmpeg starts ffmpeg with args and reads the stream header, giving up when ctx ends or
// no header comes within the stall timeout.
// script, when set, is a file ffmpeg reads: it is removed once ffmpeg has read it, and in any
// case before startFFmpeg or Close returns. secrets are masked in what ffmpeg says.
func startFFmpeg(ctx context.Context, cfg SourceConfig, args []string, desc string, live bool, script string, secrets []string) (*ffmpegSource, error) {
	removeScript := func() {
		if script != "" {
			_ = os.Remove(script) // best effort: it may be gone already
		}
	}
	path, err := lookFFmpeg(cfg.FFmpeg)
	if err != nil {
		removeScript()
		return nil, err
	}
	r, w, err := framePipe()
	if err != nil {
		removeScript()
		return nil, fmt.Errorf("start ffmpeg for %s: %w", desc, err)
	}
	s := &ffmpegSource{desc: desc, live: live, stall: cfg.StallTimeout, pipe: r, stderr: &procgroup.Tail{Lines: 3},
		secrets: secrets, script: script}
	// The command's context never ends: Close ends ffmpeg (procgroup.Own wants a context).
	s.cmd = exec.CommandContext(context.Background(), path, args...)
	s.cmd.Stdout, s.cmd.Stderr = w, s.stderr
	procgroup.Own(s.cmd)
	err = s.cmd.Start()
	_ = w.Close() // ffmpeg holds the write end now; the pipe ends when ffmpeg does
	if err != nil {
		_ = r.Close()
		removeScript()
		return nil, fmt.Errorf("start ffmpeg for %s: %w", desc, err)
	}
	s.watchdog = time.AfterFunc(s.stall, func() { s.kill(fmt.Sprintf("no frame for %s", s.stall)) })
	err = whileBlocked(ctx, func() error {
		var err error
		s.y4m, err = newY4MReader(r)
		return err
	}, func() { s.kill("cancelled") })
	removeScript() // ffmpeg read the script before it wrote the stream header
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

// Keep hands over the frame Read returned last and reads the next ones into spare (Keeper).
func (s *ffmpegSource) Keep(spare image.Image) image.Image { return s.y4m.keep(spare) }

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
		return fmt.Errorf("%s: %s%w; ffmpeg said: %s", s.desc, why, err, redact.Text(last, s.secrets...))
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
	if s.script != "" {
		_ = os.Remove(s.script) // already gone unless ffmpeg failed to start
	}
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
	args := append(ffmpegFileArgs(path, cfg), ffmpegOutputArgs(cfg)...)
	desc := "file " + path
	if cfg.Loop {
		desc += " (looping)"
	}
	return startFFmpeg(ctx, cfg, args, desc, false, "", nil)
}

// openStream reads an rtsp:// or http(s):// stream. ffmpeg reads the URL from a 0600 file,
// never from its command line; the URL's secrets are masked wherever it is described.
func openStream(ctx context.Context, url string, cfg SourceConfig) (Source, error) {
	desc := "stream " + redact.URL(url)
	text, err := streamScript(url)
	if err != nil {
		return nil, err
	}
	script, err := writeSecretFile("narrator-stream-*.ffconcat", text)
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", desc, err)
	}
	args := append(ffmpegStreamArgs(script), ffmpegOutputArgs(cfg)...)
	return startFFmpeg(ctx, cfg, args, desc, true, script, redact.Secrets(url))
}
