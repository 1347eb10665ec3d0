package capture

import (
	"image"
	"image/color"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// wall is a still grey scene with a little sensor noise, and, when word is set, a small dark
// word-sized mark in one place: too small a change for the gate.
func wall(rng *rand.Rand, word bool) image.Image {
	img := image.NewGray(image.Rect(0, 0, 640, 360))
	for i := range img.Pix {
		img.Pix[i] = uint8(168 + rng.IntN(5) - 2)
	}
	if word {
		for y := 250; y < 275; y++ {
			for x := 440; x < 520; x++ {
				if (x/6)%2 == 0 {
					img.SetGray(x, y, color.Gray{Y: 20})
				}
			}
		}
	}
	return img
}

// TestSettledFrames: a small mark appearing in a still scene is no scene change, so without a
// reader's request nothing is sent for it; with one, one settled frame is sent once the scene
// has been still for DefaultSteady, and never again for the same scene; the gate's heartbeat and
// interval do not count it.
func TestSettledFrames(t *testing.T) {
	const fps = 10
	for _, wanted := range []bool{false, true} {
		rng := rand.New(rand.NewPCG(1, 2))
		s := newSampler(Gate{Heartbeat: time.Hour}, 500*time.Millisecond, 2*time.Second, bus.NewCounters())
		t0 := time.Unix(1000, 0)
		if wanted {
			s.settled.want(t0.Add(bus.SettledLease))
		}
		var sent []sentFrame
		for i := range 8 * fps { // the word appears at 3 s
			now := t0.Add(time.Duration(i) * time.Second / fps)
			s.offer(wall(rng, i >= 3*fps), now)
			for {
				smp, _, _ := s.take(now)
				if smp == nil {
					break
				}
				sent = append(sent, sentFrame{now.Sub(t0), smp.at.Sub(t0), smp.reason})
				s.sent(smp, now, true)
			}
		}
		var reasons []string
		for _, f := range sent {
			reasons = append(reasons, f.reason)
		}
		want := []string{bus.FrameFirst}
		if wanted {
			want = append(want, bus.FrameSettled)
		}
		if len(reasons) != len(want) || reasons[0] != want[0] || (wanted && reasons[1] != want[1]) {
			t.Fatalf("wanted %v: sent %v, want %v", wanted, sent, want)
		}
		if wanted {
			at := sent[1].at
			if at < 3*time.Second+DefaultSteady || at > 3*time.Second+DefaultSteady+2*time.Second/fps {
				t.Errorf("settled frame sent at %s, want %s after the word appeared at 3s", at, DefaultSteady)
			}
			if !s.lastSent.Equal(t0) {
				t.Errorf("the settled frame moved the describer's interval clock to %s", s.lastSent.Sub(t0))
			}
		}
	}
}

// TestSettledLeaseEnds: settled frames stop when the readers stop asking.
func TestSettledLeaseEnds(t *testing.T) {
	var w settler
	var jitter [cellCount]int
	t0 := time.Unix(1000, 0)
	a, b := Signature{}, Signature{}
	b.Cells[5] = 60
	w.want(t0.Add(time.Second))
	w.accepted(a, t0)
	if w.settled(b, t0.Add(2*time.Second), &jitter, true) || w.settled(b, t0.Add(3*time.Second), &jitter, true) {
		t.Error("a settled frame sent after the lease ended")
	}
	w.want(t0.Add(10 * time.Second))
	if !w.settled(b, t0.Add(4*time.Second), &jitter, true) {
		t.Error("no settled frame once asked again")
	}
	if w.settled(b, t0.Add(5*time.Second), &jitter, true) {
		t.Error("the same settled scene sent twice")
	}
}
