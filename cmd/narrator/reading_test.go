//go:build cgo

package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// signClip writes a 14 s clip: a grey wall (0-3 s), a white card reading NO ENTRY held up
// (3-7 s), the card changed to EXIT ONLY (7-11 s), the wall again (11-14 s).
func signClip(t *testing.T) string {
	t.Helper()
	const font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf" // fonts-dejavu-core
	if _, err := os.Stat(font); err != nil {
		t.Skip("no DejaVu font to draw the sign with (fonts-dejavu-core)")
	}
	path := filepath.Join(t.TempDir(), "sign.mp4")
	card := "drawbox=x=150:y=100:w=724:h=336:color=white:t=fill:enable='between(t,3,11)'"
	text := func(s string, from, to int) string {
		return fmt.Sprintf("drawtext=fontfile=%s:text='%s':fontsize=90:fontcolor=black:x=(w-text_w)/2:y=225:enable='between(t,%d,%d)'", font, s, from, to)
	}
	filter := strings.Join([]string{"color=c=0x606060:s=1024x576:d=14:r=10", card, text("NO ENTRY", 3, 7), text("EXIT ONLY", 7, 11)}, ",")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", filter, "-pix_fmt", "yuv420p", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// TestReadingASignEndToEnd runs the narrator on a clip where a sign appears, changes and
// disappears, with the reader as the describer and beside the heuristic describer: each sign is
// said once, when it appears, in order, though capture sends frames of it again and again while
// it is held up (a heartbeat every second), and nothing else is read. With --json the events go to
// stdout and what is said to stderr.
func TestReadingASignEndToEnd(t *testing.T) {
	clip := signClip(t)
	readings := regexp.MustCompile(`(?m)^» (Sign|Text): .*$`)
	for _, args := range [][]string{
		{"--backend", "ocr"},
		{"--backend", "heuristic", "--read-text"},
	} {
		var stdout, stderr lockedBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector
		err := run(ctx, append([]string{"run", "--source", "file:" + clip, "--speech", "text", "--keys=false", "--heartbeat", "1s", "--json"}, args...), &stdout, &stderr)
		cancel()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		got := readings.FindAllString(stderr.String(), -1)
		want := []string{"» Sign: NO ENTRY.", "» Sign: EXIT ONLY."}
		if strings.Join(got, "\n") != strings.Join(want, "\n") {
			t.Errorf("%v: read aloud %q, want %q\nstderr:\n%s", args, got, want, stderr.String())
		}
		var frames, ocr int
		for line := range strings.SplitSeq(stdout.String(), "\n") {
			var ev struct {
				Subject string `json:"subject"`
				Data    struct {
					Backend string `json:"backend"`
					Partial bool   `json:"partial"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(line), &ev) != nil {
				continue
			}
			switch {
			case strings.HasPrefix(ev.Subject, "narrator.v1.frames."):
				frames++
			case strings.HasPrefix(ev.Subject, "narrator.v1.descriptions.") && ev.Data.Backend == "ocr" && !ev.Data.Partial:
				ocr++
			}
		}
		// A frame a second for 14 s: each sign was in several frames, so "said once" is the
		// reader's doing, not capture's.
		if frames < 8 {
			t.Errorf("%v: capture sent %d frames; the clip should give many", args, frames)
		}
		if args[1] == "ocr" && ocr < 6 {
			t.Errorf("%v: %d readings published; every frame described should give one", args, ocr)
		}
		t.Logf("%v: %d frames, %d readings published, said %q", args, frames, ocr, got)
	}
}

// smallSignClip writes a 9 s clip of a still scene (a light wall with a darker panel) where the
// word EXIT, 40 pixels tall, appears in one corner at 3 s and stays: too small a change for
// capture's dedup to call the scene changed.
func smallSignClip(t *testing.T) string {
	t.Helper()
	const font = "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf" // fonts-dejavu-core
	if _, err := os.Stat(font); err != nil {
		t.Skip("no DejaVu font to draw the sign with (fonts-dejavu-core)")
	}
	path := filepath.Join(t.TempDir(), "small.mp4")
	filter := strings.Join([]string{
		"color=c=0xa8a8a8:s=1024x576:d=9:r=10",
		"drawbox=x=100:y=80:w=300:h=200:color=0x707070:t=fill",
		fmt.Sprintf("drawtext=fontfile=%s:text='EXIT':fontsize=40:fontcolor=black:x=700:y=400:enable='gte(t,%d)'", font, smallSignAt),
	}, ",")
	if out, err := exec.Command("ffmpeg", "-loglevel", "error", "-f", "lavfi", "-i", filter, "-pix_fmt", "yuv420p", path).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v\n%s", err, out)
	}
	return path
}

// smallSignAt is when the small sign appears in smallSignClip, in seconds.
const smallSignAt = 3

// TestReadingASmallSignEndToEnd: a small sign appearing in a still scene is no scene change, so
// capture sends no frame for it to the describer; the reader asks capture for settled frames,
// gets the scene once it is steady, and reads the sign, once, long before the next heartbeat
// (the default 10 s, beyond the clip's end). The scene describer (heuristic) gets no frame
// more than the first. The time from the sign's appearance to its reading is logged, not held
// to a figure (docs/performance.md has it).
func TestReadingASmallSignEndToEnd(t *testing.T) {
	clip := smallSignClip(t)
	for _, args := range [][]string{
		{"--backend", "ocr"},
		{"--backend", "heuristic", "--read-text"},
	} {
		var stdout, stderr lockedBuffer
		ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute) // a hang detector
		err := run(ctx, append([]string{"run", "--source", "file:" + clip, "--speech", "text", "--keys=false", "--json"}, args...), &stdout, &stderr)
		cancel()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, stderr.String())
		}
		readings := regexp.MustCompile(`(?m)^» (Sign|Text): .*$`).FindAllString(stderr.String(), -1)
		if len(readings) != 1 || !strings.Contains(readings[0], "EXIT") {
			t.Errorf("%v: read aloud %q, want EXIT once\nstderr:\n%s", args, readings, stderr.String())
		}
		var first, settled time.Time
		var frames, settledFrames int
		var readAt time.Time
		for line := range strings.SplitSeq(stdout.String(), "\n") {
			var ev struct {
				Subject string `json:"subject"`
				Data    struct {
					Reason      string    `json:"reason"`
					CapturedAt  time.Time `json:"captured_at"`
					Backend     string    `json:"backend"`
					Text        string    `json:"text"`
					CompletedAt time.Time `json:"completed_at"`
				} `json:"data"`
			}
			if json.Unmarshal([]byte(line), &ev) != nil {
				continue
			}
			switch {
			case strings.HasSuffix(ev.Subject, ".settled"):
				settledFrames++
				if settled.IsZero() {
					settled = ev.Data.CapturedAt
				}
			case strings.HasPrefix(ev.Subject, "narrator.v1.frames."):
				frames++
				if first.IsZero() {
					first = ev.Data.CapturedAt
				}
			case strings.HasPrefix(ev.Subject, "narrator.v1.descriptions.") && ev.Data.Backend == "ocr" && strings.Contains(ev.Data.Text, "EXIT") && readAt.IsZero():
				readAt = ev.Data.CompletedAt
			}
		}
		if frames != 1 {
			t.Errorf("%v: capture sent the describer %d frames, want only the first (the sign is no scene change)", args, frames)
		}
		if settledFrames == 0 || readAt.IsZero() || first.IsZero() {
			t.Fatalf("%v: %d settled frames, reading at %v", args, settledFrames, readAt)
		}
		// The clip plays at its own pace from the first frame: the sign appears smallSignAt
		// seconds after it.
		appeared := first.Add(smallSignAt * time.Second)
		t.Logf("%v: the sign appeared at +%ds; settled frame captured %s later, read %s after it appeared (%d settled frames)",
			args, smallSignAt, settled.Sub(appeared).Round(10*time.Millisecond), readAt.Sub(appeared).Round(10*time.Millisecond), settledFrames)
	}
}
