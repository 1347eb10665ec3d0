package userfile

import (
	"bytes"
	"errors"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestTempImage(t *testing.T) {
	var pngData bytes.Buffer
	if err := png.Encode(&pngData, image.NewGray(image.Rect(0, 0, 2, 2))); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		data []byte
		ext  string
	}{{pngData.Bytes(), ".png"}, {[]byte("not an image"), ".img"}} {
		path, err := TempImage(bytes.NewReader(c.data), "stdin", 1<<20)
		if err != nil {
			t.Fatal(err)
		}
		got, err := os.ReadFile(path)
		_ = os.Remove(path)
		if err != nil || !bytes.Equal(got, c.data) || filepath.Ext(path) != c.ext {
			t.Errorf("%s: %v, %d bytes of %d, want the same bytes in a %s file", path, err, len(got), len(c.data), c.ext)
		}
	}
	if _, err := TempImage(strings.NewReader(""), "stdin", 1<<20); !errors.Is(err, ErrEmpty) {
		t.Errorf("empty input: %v, want ErrEmpty", err)
	}
}
