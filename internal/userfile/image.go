package userfile

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
)

// ErrEmpty is returned by TempImage for a reader with nothing in it.
var ErrEmpty = errors.New("empty")

// imageExt names an image file by its content, so that a program reading it by name (ffmpeg)
// knows its type.
var imageExt = map[string]string{"image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "image/webp": ".webp", "image/bmp": ".bmp"}

// TempImage copies at most max bytes of an image from r (called name in errors) to a new
// temporary file named for the image's type (.img when it is none of those known) and returns
// its path; the caller removes it.
func TempImage(r io.Reader, name string, max int64) (string, error) {
	data, err := io.ReadAll(io.LimitReader(r, max))
	if err != nil {
		return "", fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) == 0 {
		return "", fmt.Errorf("%s: %w", name, ErrEmpty)
	}
	ext, ok := imageExt[http.DetectContentType(data)]
	if !ok {
		ext = ".img"
	}
	f, err := os.CreateTemp("", "narrator-describe-*"+ext)
	if err != nil {
		return "", err
	}
	if _, err := f.Write(data); err != nil {
		_ = f.Close()
		_ = os.Remove(f.Name())
		return "", err
	}
	return f.Name(), f.Close()
}
