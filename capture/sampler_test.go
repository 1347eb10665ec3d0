package capture

import (
	"errors"
	"image"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// sentFrame is a frame the simulated sender published.
type sentFrame struct {
	at, captured time.Duration // since the clip started
	reason       string
}

// runSampler plays frames through a sampler on the clip's own clock (frame i at i/fps), with a
// sender that publishes instantly whenever the sampler lets it, and returns what was sent.
func runSampler(t *testing.T, next func() (image.Image, error), fps float64, gate Gate, minInterval, maxAge time.Duration, c *bus.Counters) []sentFrame {
	t.Helper()
	s := newSampler(gate, minInterval, maxAge, c)
	t0 := time.Unix(1000, 0)
	var out []sentFrame
	send := func(now time.Time) {
		for {
			smp, _, _ := s.take(now)
			if smp == nil {
				return
			}
			out = append(out, sentFrame{now.Sub(t0), smp.at.Sub(t0), smp.reason})
			s.sent(smp, now, true)
		}
	}
	for i := 0; ; i++ {
		img, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		now := t0.Add(time.Duration(float64(i) / fps * float64(time.Second)))
		c.Counter("capture.frames_read").Add(1)
		s.offer(img, now)
		send(now)
	}
	return out
}

func TestSamplerOnClip(t *testing.T) {
	const fps = 15
	clip := makeClip(t, testScenes, 320, 180, fps)
	for _, tc := range []struct {
		name      string
		heartbeat time.Duration
	}{{"no heartbeat", 0}, {"heartbeat 800ms", 800 * time.Millisecond}} {
		t.Run(tc.name, func(t *testing.T) {
			y := decodeClip(t, clip)
			c := bus.NewCounters()
			const minInterval = 500 * time.Millisecond
			frameTime := time.Second / fps
			sent := runSampler(t, y.next, fps, Gate{Heartbeat: tc.heartbeat}, minInterval, 2*time.Second, c)

			// Every scene change yields a frame showing the new scene within one sampling
			// interval (plus a frame, as sends happen on frame arrivals).
			var start time.Duration
			for k, sc := range testScenes {
				end := start + time.Duration(sc.seconds*float64(time.Second))
				found := false
				for _, f := range sent {
					if f.captured >= start && f.captured < end && f.at <= start+minInterval+frameTime && (f.reason == "changed" || k == 0) {
						found = true
					}
				}
				if !found {
					t.Errorf("scene %d (%s) at %s: no frame within %s; sent %+v", k, sc.name, start, minInterval, sent)
				}
				// A static stretch yields nothing beyond its heartbeats.
				n := 0
				for _, f := range sent {
					if f.captured >= start && f.captured < end {
						n++
					}
				}
				limit := 1
				if tc.heartbeat > 0 {
					limit += int((end - start) / tc.heartbeat)
				}
				if n > limit {
					t.Errorf("scene %d (%s): %d frames sent, want at most %d", k, sc.name, n, limit)
				}
				start = end
			}
			// Every frame read is accounted for.
			snap := c.Snapshot()
			total := snap["capture.frames_unchanged"] + snap["capture.frames_superseded"] + snap["capture.frames.stale"] + uint64(len(sent))
			if total != snap["capture.frames_read"] {
				t.Errorf("counters %v and %d sent do not add up to the frames read", snap, len(sent))
			}
		})
	}
}

func TestSamplerNewestWinsAndStale(t *testing.T) {
	c := bus.NewCounters()
	s := newSampler(Gate{}, time.Second, 300*time.Millisecond, c)
	rng := rand.New(rand.NewPCG(7, 8))
	a, b, d := scene(beige, 160, 90), scene(green, 160, 90), scene(blue, 160, 90, demoBox{image.Rect(2, 2, 6, 6), red})
	t0 := time.Unix(0, 0)
	at := func(ms int) time.Time { return t0.Add(time.Duration(ms) * time.Millisecond) }

	s.offer(a, at(0))
	smp, _, _ := s.take(at(0))
	if smp == nil || smp.reason != "first" {
		t.Fatalf("first frame not handed out: %+v", smp)
	}
	s.sent(smp, at(0), true)

	// Two changes within the minimum interval: the newest waits, the other is superseded.
	s.offer(b, at(100))
	s.offer(d, at(200))
	if smp, wait, _ := s.take(at(250)); smp != nil || wait != 750*time.Millisecond {
		t.Fatalf("take during the minimum interval: %v, wait %s; want nothing, wait 750ms", smp, wait)
	}
	// Newer frames of the same scene keep the waiting frame fresh.
	s.offer(noisy(d, 3, rng), at(900))
	smp, _, _ = s.take(at(1000))
	if smp == nil || smp.at != at(900) || smp.reason != "changed" {
		t.Fatalf("after the interval: %+v, want the frame of 900ms, changed", smp)
	}
	if Sign(smp.img).Distance(Sign(d)) > 3 {
		t.Error("the frame handed out is not the newest scene")
	}
	s.sent(smp, at(1000), true)

	// A frame that waits past the maximum age is dropped, and its scene is sent when seen again.
	s.offer(a, at(1500))
	if smp, _, _ := s.take(at(2100)); smp != nil {
		t.Fatalf("stale frame handed out: %+v", smp)
	}
	s.offer(noisy(a, 3, rng), at(2200))
	if smp, _, _ := s.take(at(2200)); smp == nil || smp.reason != "changed" {
		t.Fatalf("scene of the stale frame not sent when seen again: %+v", smp)
	}
	snap := c.Snapshot()
	if snap["capture.frames_superseded"] != 2 || snap["capture.frames.stale"] != 1 {
		t.Errorf("counters %v: want 2 superseded (b, then d by its newer copy) and 1 stale", snap)
	}
	s.finish()
	if _, _, done := s.take(at(3000)); !done {
		t.Error("finished and empty sampler not done")
	}
}

func TestHeartbeatDoesNotHoldBackAChange(t *testing.T) {
	grey := func(v uint8) *image.Gray {
		img := image.NewGray(image.Rect(0, 0, 64, 48))
		for i := range img.Pix {
			img.Pix[i] = v
		}
		return img
	}
	s := newSampler(Gate{Heartbeat: time.Second}, 500*time.Millisecond, 0, bus.NewCounters())
	at := func(ms int) time.Time { return time.Unix(0, 0).Add(time.Duration(ms) * time.Millisecond) }
	send := func(img image.Image, ms int, wantReason string) {
		t.Helper()
		s.offer(img, at(ms))
		smp, wait, _ := s.take(at(ms))
		if smp == nil || smp.reason != wantReason {
			t.Fatalf("at %d ms: got %+v (wait %v), want a %s frame now", ms, smp, wait, wantReason)
		}
		s.sent(smp, at(ms), true)
	}
	send(grey(60), 0, bus.FrameFirst)
	send(grey(60), 1000, bus.FrameHeartbeat)
	send(grey(200), 1100, bus.FrameChanged) // 100 ms after a heartbeat: at once
	s.offer(grey(60), at(1200))             // 100 ms after a change: waits out the interval
	if smp, wait, _ := s.take(at(1200)); smp != nil || wait != 400*time.Millisecond {
		t.Fatalf("a change 100 ms after a change: got %+v, wait %v; want a 400 ms wait", smp, wait)
	}
}
