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

// movingBox is a grey frame with a bright box whose left edge is at x: steady motion when x
// moves a little from frame to frame.
func movingBox(x int) *image.Gray {
	img := image.NewGray(image.Rect(0, 0, 160, 90))
	for y := range 90 {
		for i := range 160 {
			v := uint8(60)
			if i >= x%140 && i < x%140+20 && y >= 30 && y < 60 {
				v = 200
			}
			img.Pix[y*160+i] = v
		}
	}
	return img
}

// playMotion plays seconds of a box moving 2 pixels a frame at 15 fps from start, sending what
// the sampler hands out at once; every frame sent is answered by decide, if set. It returns
// the frames sent.
func playMotion(s *sampler, start time.Time, from time.Duration, seconds float64, decide func(captured time.Time)) int {
	sent := 0
	for i := 0; float64(i) < seconds*15; i++ {
		now := start.Add(from + time.Duration(i)*time.Second/15)
		s.offer(movingBox(2*i), now)
		if smp, _, _ := s.take(now); smp != nil {
			s.sent(smp, now, true)
			sent++
			if decide != nil {
				decide(smp.at)
			}
		}
	}
	return sent
}

func TestNoveltyBackoffOnMotion(t *testing.T) {
	t0 := time.Unix(0, 0)
	plain := newSampler(Gate{}, 500*time.Millisecond, 0, bus.NewCounters())
	base := playMotion(plain, t0, 0, 8, nil)

	c := bus.NewCounters()
	s := newSampler(Gate{}, 500*time.Millisecond, 0, c)
	s.maxInterval = DefaultMaxInterval
	var last time.Time // capture time of the last frame sent
	repeat := func() { s.decided(bus.ActionSuppress, bus.ReasonDuplicate, last) }
	backed := playMotion(s, t0, 0, 8, func(at time.Time) { last = at; repeat() })
	t.Logf("8 s of motion: %d frames sent at a fixed 500 ms interval, %d with backoff", base, backed)
	if base < 12 || 2*backed > base {
		t.Errorf("8 s of motion whose descriptions repeat: %d frames sent with backoff, %d without; want at most half", backed, base)
	}
	if got := c.Gauges()["capture.interval_ms"]; got != 2000 {
		t.Errorf("interval gauge %d ms after repeats, want the 2000 ms ceiling", got)
	}

	// A cut to another scene goes out at once and resets the interval.
	cut := image.NewGray(image.Rect(0, 0, 160, 90))
	for i := range cut.Pix {
		cut.Pix[i] = 220
	}
	at := t0.Add(8*time.Second + 10*time.Millisecond)
	s.offer(cut, at)
	smp, wait, _ := s.take(at)
	if smp == nil && wait > 0 && wait <= 500*time.Millisecond { // the minimum interval still holds
		at = at.Add(wait)
		smp, wait, _ = s.take(at)
	}
	if smp == nil || smp.reason != bus.FrameChanged {
		t.Fatalf("a cut during backoff: got %+v, wait %s; want it sent within the minimum interval", smp, wait)
	}
	s.sent(smp, at, true)
	if got := c.Gauges()["capture.interval_ms"]; got != 500 {
		t.Errorf("interval gauge %d ms after a cut, want 500", got)
	}
	repeat() // a late verdict on the last frame of the motion
	if s.interval != 500*time.Millisecond {
		t.Errorf("interval %s after a repeat of a frame older than the cut, want 500ms", s.interval)
	}
	last = at

	// Repeats back off again; a description said resets at once.
	for range 3 {
		repeat()
	}
	if s.interval != DefaultMaxInterval {
		t.Fatalf("interval %s after 3 repeats, want %s", s.interval, DefaultMaxInterval)
	}
	s.decided(bus.ActionSpeak, "", last)
	if s.interval != 500*time.Millisecond {
		t.Errorf("interval %s after a description was said, want 500ms", s.interval)
	}
	// Other decisions say nothing about novelty.
	s.decided(bus.ActionSuppress, "stale", last)
	if s.interval != 500*time.Millisecond {
		t.Errorf("interval %s after a stale decision, want 500ms", s.interval)
	}

	// A scene that settles brings the interval back.
	repeat()
	repeat()
	for i := range 20 {
		s.offer(cut, at.Add(time.Duration(i+1)*time.Second/15))
	}
	if s.interval != 500*time.Millisecond {
		t.Errorf("interval %s after the scene settled for over a second, want 500ms", s.interval)
	}
}
