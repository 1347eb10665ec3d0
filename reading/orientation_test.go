//go:build cgo

package reading

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// TestWithoutOrientationData: where Tesseract's osd data is not installed the reader still
// starts and reads upright text, says once that text on its side is not read and how to fix
// it, and reads nothing from a sign on its side rather than failing.
func TestWithoutOrientationData(t *testing.T) {
	eng := ""
	for _, dir := range []string{os.Getenv("TESSDATA_PREFIX"), "/usr/share/tesseract-ocr/5/tessdata", "/usr/share/tesseract-ocr/4.00/tessdata", "/opt/homebrew/share/tessdata", "/usr/local/share/tessdata"} {
		if p := filepath.Join(dir, "eng.traineddata"); dir != "" && fileExists(p) {
			eng = p
			break
		}
	}
	if eng == "" {
		t.Skip("no eng.traineddata found to copy")
	}
	dir := t.TempDir()
	if err := os.Symlink(eng, filepath.Join(dir, "eng.traineddata")); err != nil {
		t.Fatal(err)
	}
	t.Setenv("TESSDATA_PREFIX", dir)
	if got := installedLanguages(); strings.Join(got, ",") != "eng" {
		t.Fatalf("installed languages %q, want eng alone", got)
	}
	var logs bytes.Buffer
	r, err := New(Config{Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	if !strings.Contains(logs.String(), "upside down") || !strings.Contains(logs.String(), "tesseract-ocr-osd") {
		t.Errorf("no word about the missing orientation data: %s", logs.String())
	}
	read := func(s scene) string {
		rd, err := r.Read(context.Background(), bus.Frame{ID: "f", Camera: "c", JPEG: render(t, s)}, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return linesText(rd.Lines)
	}
	if got := read(scene{Lines: []string{"EXIT"}, Font: "bold", Size: 96}); got != "EXIT" {
		t.Errorf("upright sign read as %q", got)
	}
	if got := read(scene{Lines: []string{"EXIT ONLY"}, Font: "bold", Size: 56, Angle: 90}); got != "" {
		t.Errorf("a sign on its side read as %q without the orientation data", got)
	}
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}
