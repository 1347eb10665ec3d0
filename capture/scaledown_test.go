package capture

import (
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// decodeWith has ffmpeg decode clip with the output arguments the ffmpeg sources use for cfg,
// into a YUV4MPEG2 file, as fast as it can (no -re), and returns a function that opens it for
// reading from the start.
func decodeWith(t testing.TB, clip string, cfg SourceConfig) func() *y4mReader {
	t.Helper()
	path := filepath.Join(t.TempDir(), "decoded.y4m")
	args := append([]string{"-hide_banner", "-nostdin", "-loglevel", "error", "-i", clip}, ffmpegOutputArgs(cfg)...)
	args[len(args)-1] = path // pipe:1 → the file
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("decode %s: %v: %s", clip, err, out)
	}
	return func() *y4mReader {
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = f.Close() })
		y, err := newY4MReader(f)
		if err != nil {
			t.Fatal(err)
		}
		return y
	}
}

// gateDecisions runs every frame of y through a default Gate (no heartbeat) and lists what it
// decided for each: "-" for a frame not sent, else the reason, with "!" for a large change.
func gateDecisions(t testing.TB, y *y4mReader) []string {
	t.Helper()
	var g Gate
	var out []string
	at := time.Unix(0, 0)
	for {
		img, err := y.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		sig := Sign(img)
		large := g.Large(sig)
		send, reason, _ := g.Check(sig, at)
		switch {
		case !send:
			out = append(out, "-")
		case large:
			out = append(out, reason+"!")
		default:
			out = append(out, reason)
		}
		at = at.Add(33 * time.Millisecond)
	}
}

// TestScaledInFFmpegSameDecisions: with SourceConfig.MaxEdge, ffmpeg delivers 720p clips at
// the published size (1024×576) instead of 1280×720, and the stage hashes those frames. What the
// stage publishes must not change: the same frames, for the same reasons, on static scenes with
// noise and cuts and on moving ones. On static scenes the gate decides the same for every
// frame; in motion a change may cross the threshold one frame earlier or later (a continuous
// distance sampled at other pixels), which the minimum interval absorbs: the frame published
// is the newest when the interval is up.
func TestScaledInFFmpegSameDecisions(t *testing.T) {
	for _, c := range []struct {
		name    string
		scenes  []clipScene
		perGate bool // every frame's gate decision is the same too
	}{
		{"scenes with cuts", testScenes, true},
		{"motion", motionScenes, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			clip := makeClip(t, c.scenes, 1280, 720, 30)
			fullCfg := SourceConfig{Width: 1280, Height: 720, FPS: 30}
			scaledCfg := fullCfg
			scaledCfg.MaxEdge = DefaultMaxEdge
			openFull, openScaled := decodeWith(t, clip, fullCfg), decodeWith(t, clip, scaledCfg)
			full, scaled := openFull(), openScaled()
			if scaled.width != 1024 || scaled.height != 576 || full.width != 1280 || full.height != 720 {
				t.Fatalf("sizes: full %dx%d, scaled %dx%d; want 1280x720 and 1024x576", full.width, full.height, scaled.width, scaled.height)
			}
			want, got := publishedFrames(t, full), publishedFrames(t, scaled)
			if !slices.Equal(want, got) {
				t.Errorf("published from 1280x720 frames: %v\nfrom 1024x576 frames: %v", want, got)
			}
			t.Logf("%d published: %v", len(want), want)

			gateFull, gateScaled := gateDecisions(t, openFull()), gateDecisions(t, openScaled())
			if len(gateFull) != len(gateScaled) {
				t.Fatalf("%d frames at 1280x720, %d at 1024x576", len(gateFull), len(gateScaled))
			}
			accepted, differ := [2]int{}, 0
			for i := range gateFull {
				if gateFull[i] != "-" {
					accepted[0]++
				}
				if gateScaled[i] != "-" {
					accepted[1]++
				}
				if gateFull[i] != gateScaled[i] {
					differ++
					if c.perGate {
						t.Errorf("frame %d: the gate said %q at 1280x720, %q at 1024x576", i, gateFull[i], gateScaled[i])
					}
				}
			}
			t.Logf("%d frames; the gate accepted %d at 1280x720, %d at 1024x576; %d decisions differ", len(gateFull), accepted[0], accepted[1], differ)
		})
	}
}

// publishedFrames runs every frame of y through a sampler as the stage does (default gate,
// DefaultMinInterval, DefaultMaxAge, no heartbeat), on the clip's clock at 30 fps, the sender
// taking what is due after each frame, and lists the frames published: index and reason.
func publishedFrames(t testing.TB, y *y4mReader) []string {
	t.Helper()
	const frame = time.Second / 30
	smp := newSampler(Gate{}, DefaultMinInterval, DefaultMaxAge, bus.NewCounters())
	start := time.Unix(0, 0)
	var out []string
	for i := 0; ; i++ {
		img, err := y.next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		now := start.Add(time.Duration(i) * frame)
		smp.offer(img, now)
		if s, _, _ := smp.take(now); s != nil {
			out = append(out, fmt.Sprintf("%d %s", s.at.Sub(start)/frame, s.reason))
			smp.sent(s, now, true)
		}
	}
}

// motionScenes move: a test pattern whose parts slide and count, then colour bars scrolling.
var motionScenes = []clipScene{
	{"moving test pattern", "testsrc2", 3},
	{"scrolling colour bars", "smptehdbars,scroll=h=0.004", 4},
}

// TestScaledInFFmpegSameSize: the published size is what it was when the stage scaled
// ffmpeg's Width×Height frames down to MaxEdge itself (scaledSize of ffmpeg's fit), for the
// camera and video sizes people have, now that ffmpeg fits the frame into both boxes at once.
func TestScaledInFFmpegSameSize(t *testing.T) {
	needFFmpeg(t)
	sizes := []struct{ w, h int }{
		{1280, 720}, {1920, 1080}, {640, 480}, {1024, 768}, {1366, 768}, {1280, 1024},
		{1000, 1000}, {2560, 1080}, {720, 1280}, {1279, 719}, // odd sides are padded to even first
	}
	for _, s := range sizes {
		t.Run(fmt.Sprintf("%dx%d", s.w, s.h), func(t *testing.T) {
			clip := filepath.Join(t.TempDir(), "still.y4m")
			if out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-f", "lavfi",
				"-i", fmt.Sprintf("testsrc=s=%dx%d:d=0.04", s.w, s.h), "-pix_fmt", "yuv444p", clip).CombinedOutput(); err != nil {
				t.Fatalf("make still: %v: %s", err, out)
			}
			cfg := SourceConfig{Width: DefaultWidth, Height: DefaultHeight, FPS: 25}
			before := decodeWith(t, clip, cfg)()
			bw, bh := scaledSize(before.width, before.height, DefaultMaxEdge)
			cfg.MaxEdge = DefaultMaxEdge
			now := decodeWith(t, clip, cfg)()
			want := fmt.Sprintf("%dx%d", bw, bh)
			if got := fmt.Sprintf("%dx%d", now.width, now.height); got != want {
				t.Errorf("published %s, want %s (before: ffmpeg %dx%d, scaled by the stage to %dx%d)", got, want, before.width, before.height, bw, bh)
			}
			if nw, nh := scaledSize(now.width, now.height, DefaultMaxEdge); nw != now.width || nh != now.height {
				t.Errorf("ffmpeg delivered %dx%d, which the stage still scales to %dx%d", now.width, now.height, nw, nh)
			}
		})
	}
}
