package capture

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/narrator-dev/narrator/internal/redact"
	"github.com/narrator-dev/narrator/internal/userfile"
)

// ErrPermanent marks a source error that retrying cannot fix: an unknown --source form, a
// file that does not exist or is not a video, no ffmpeg. The capture stage retries every
// other failure (a camera unplugged, a stream down) with backoff.
var ErrPermanent = errors.New("retrying cannot help")

// permanentError is an error that also matches ErrPermanent.
type permanentError struct{ err error }

func (p permanentError) Error() string   { return p.err.Error() }
func (p permanentError) Unwrap() []error { return []error{p.err, ErrPermanent} }

// permanent marks err as one retrying cannot fix; nil stays nil.
func permanent(err error) error {
	if err == nil || errors.Is(err, ErrPermanent) {
		return err
	}
	return permanentError{err}
}

// Check finds what is wrong with spec and cfg without opening anything, so a mistyped
// --source, a missing or unreadable file, or a missing ffmpeg is reported before anything
// starts. Its errors wrap ErrPermanent. A camera or a stream that is down passes: the capture
// stage retries those.
func Check(spec string, cfg SourceConfig) error {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return permanent(err)
	}
	kind, arg, _ := strings.Cut(spec, ":")
	switch kind {
	case "auto", "", "test", "demo", "camera":
		return nil
	case "file":
		if _, err := userfile.Check(arg); err != nil {
			return permanent(fmt.Errorf("file source: %w", err))
		}
		return ffmpegPresent(cfg)
	case "dir":
		fi, err := os.Stat(arg)
		if err == nil && !fi.IsDir() {
			err = fmt.Errorf("%s is not a directory (for one file, use file:%s)", arg, arg)
		}
		if err != nil {
			return permanent(fmt.Errorf("dir source: %w", err))
		}
		return ffmpegPresent(cfg)
	case "rtsp", "rtsps", "http", "https":
		if !strings.HasPrefix(arg, "//") {
			break
		}
		if strings.ContainsAny(spec, "\x00\r\n") {
			return permanent(fmt.Errorf("stream URL %q: it contains a line break or NUL", redact.URL(spec)))
		}
		return ffmpegPresent(cfg)
	}
	return permanent(fmt.Errorf("%w %q: valid forms are %s; cameras found: %s", ErrUnknownSource,
		redact.Truncate(redact.Text(spec), maxEcho), SourceForms, cameraList()))
}

func ffmpegPresent(cfg SourceConfig) error {
	_, err := lookFFmpeg(cfg.FFmpeg)
	return permanent(err)
}

// permanentUnlessCancelled marks a file's or a folder's failure to open as permanent: the
// same file fails the same way again. A cancelled open stays as it is.
func permanentUnlessCancelled(ctx context.Context, err error) error {
	if err == nil || ctx.Err() != nil {
		return err
	}
	return permanent(err)
}
