//go:build !cgo

package speech

import (
	"context"
	"strings"
	"testing"
)

func TestNoPortAudioWithoutCgo(t *testing.T) {
	if _, err := OutputDevices(); err == nil || !strings.Contains(err.Error(), "CGO_ENABLED=0") {
		t.Fatalf("OutputDevices: %v", err)
	}
	if _, err := OpenPortAudio("", 1); err == nil {
		t.Fatal("OpenPortAudio worked without cgo")
	}
	sp, err := Open(context.Background(), Options{Mode: ModePortAudio, Logger: quiet})
	if err != nil || sp.Name() != "text" {
		t.Fatalf("portaudio without cgo: %v %v, want the text fallback", sp, err)
	}
}
