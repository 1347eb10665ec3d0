package capture

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/internal/procgroup"
)

// slideExtensions are the image files a dir: source shows.
var slideExtensions = []string{".jpg", ".jpeg", ".png", ".bmp", ".gif", ".webp", ".tif", ".tiff", ".ppm", ".pgm", ".avif"}

// slideshow shows a folder's images in name order, each for SlideDuration, at the configured
// frame rate, like a camera watching a changing scene. Each image is decoded by ffmpeg onto a
// canvas of the configured size (letterboxed), so every frame has the same size.
type slideshow struct {
	cfg    SourceConfig
	dir    string
	files  []string
	start  time.Time
	tick   *time.Ticker
	cur    int // index of the slide in img, -1 before the first
	img    image.Image
	ctx    context.Context // cancelled by Close, ends a decode in progress
	cancel context.CancelFunc
	once   sync.Once
}

// openDir lists the images in dir and decodes the first.
func openDir(ctx context.Context, dir string, cfg SourceConfig) (Source, error) {
	if _, err := lookFFmpeg(cfg.FFmpeg); err != nil {
		return nil, err
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("dir source: %w", err)
	}
	s := &slideshow{cfg: cfg, dir: dir, cur: -1}
	for _, e := range entries {
		if !e.IsDir() && slices.Contains(slideExtensions, strings.ToLower(filepath.Ext(e.Name()))) {
			s.files = append(s.files, filepath.Join(dir, e.Name()))
		}
	}
	if len(s.files) == 0 {
		return nil, fmt.Errorf("dir source: no images (%s) in %s", strings.Join(slideExtensions, " "), dir)
	}
	s.ctx, s.cancel = context.WithCancel(context.Background())
	stop := context.AfterFunc(ctx, s.cancel)
	defer stop()
	if err := s.show(0); err != nil {
		s.cancel()
		return nil, err
	}
	s.start = time.Now()
	s.tick = time.NewTicker(frameInterval(cfg.FPS))
	return s, nil
}

// Read returns the current slide at the configured frame rate; after the last slide it
// returns io.EOF, or starts again when looping.
func (s *slideshow) Read() (image.Image, func(), error) {
	select {
	case <-s.ctx.Done():
		return nil, noRelease, io.EOF
	case <-s.tick.C:
	}
	n := int(time.Since(s.start) / s.cfg.SlideDuration)
	if n >= len(s.files) && !s.cfg.Loop {
		return nil, noRelease, io.EOF
	}
	if err := s.show(n % len(s.files)); err != nil {
		return nil, noRelease, err
	}
	return s.img, noRelease, nil
}

// show decodes slide i unless it is already showing; an image that does not decode is
// skipped for the next one, and only when none decodes is it an error.
func (s *slideshow) show(i int) error {
	if i == s.cur {
		return nil
	}
	var errs []string
	for k := range len(s.files) {
		j := (i + k) % len(s.files)
		img, err := decodeImage(s.ctx, s.files[j], s.cfg)
		if err == nil {
			s.cur, s.img = i, img
			if len(errs) > 0 {
				s.cfg.Logger.Warn("dir source: skipped images that do not decode", "errors", strings.Join(errs, "; "))
			}
			return nil
		}
		if s.ctx.Err() != nil {
			return io.EOF
		}
		errs = append(errs, err.Error())
	}
	return fmt.Errorf("dir source: no image in %s decodes: %s", s.dir, strings.Join(errs, "; "))
}

// decodeImage has ffmpeg decode one image onto a width×height canvas.
func decodeImage(ctx context.Context, path string, cfg SourceConfig) (image.Image, error) {
	bin, err := lookFFmpeg(cfg.FFmpeg)
	if err != nil {
		return nil, err
	}
	w, h := cfg.Width&^1, cfg.Height&^1
	vf := fmt.Sprintf("scale=%d:%d:force_original_aspect_ratio=decrease,pad=%d:%d:(ow-iw)/2:(oh-ih)/2,setsar=1", w, h, w, h)
	cmd := exec.CommandContext(ctx, bin, "-hide_banner", "-nostdin", "-loglevel", "error", "-i", path,
		"-frames:v", "1", "-vf", vf, "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", "pipe:1")
	procgroup.Own(cmd) // ending ctx kills ffmpeg's whole group
	var out, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("decode %s: %w: %s", path, err, strings.TrimSpace(stderr.String()))
	}
	y, err := newY4MReader(&out)
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	img, err := y.next()
	if err != nil {
		return nil, fmt.Errorf("decode %s: %w", path, err)
	}
	return img, nil
}

// Close stops the slideshow; a Read waiting for the next tick returns io.EOF.
func (s *slideshow) Close() error {
	s.once.Do(func() {
		s.cancel()
		if s.tick != nil {
			s.tick.Stop()
		}
	})
	return nil
}

// Describe names the folder.
func (s *slideshow) Describe() string {
	return fmt.Sprintf("slideshow of %d images in %s, %s each", len(s.files), s.dir, s.cfg.SlideDuration)
}
