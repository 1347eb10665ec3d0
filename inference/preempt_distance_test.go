package inference_test

import (
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
)

// newDistanceRig is newPreemptRig with preemption on and the given PreemptDistance (0: the
// default).
func newDistanceRig(t *testing.T, distance int) *preemptRig {
	checkLeaks(t)
	desc := &blockingDescriber{calls: make(chan *call, 8)}
	srv := bustest.Server(t)
	r := &preemptRig{t: t, pub: bustest.Conn(t, srv, "pub"), counters: bus.NewCounters(), desc: desc}
	r.finals = bustest.Collect[bus.Description](t, r.pub, bus.AllDescriptions, 64)
	conn := bustest.Conn(t, srv, "inference")
	st, err := inference.New(conn, inference.Config{Describer: desc, Counters: r.counters, Preempt: true, PreemptDistance: distance})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, st)
	return r
}

// TestMotionDoesNotPreemptByDefault: frames of steady motion are scene changes to the capture
// gate with small hash distances; at the default PreemptDistance they wait for the generation
// instead of cancelling it, while a cut (distance 30) preempts.
func TestMotionDoesNotPreemptByDefault(t *testing.T) {
	r := newDistanceRig(t, 0)
	a := r.frame(bus.FrameFirst, 0)
	ca := r.started(a)
	for _, d := range []int{4, 8, inference.DefaultPreemptDistance - 1} {
		r.frame(bus.FrameChanged, d)
	}
	bustest.Eventually(t, 5*time.Second, "the motion frames taken while the model is busy", func() bool {
		return r.counters.Counter("inference.frames.dropped").Load() == 2
	})
	if len(ca.stopped) != 0 {
		t.Fatal("motion preempted the generation")
	}
	cut := r.frame(bus.FrameChanged, 30)
	if err := stopped(t, ca); err == nil {
		t.Fatal("a cut did not preempt")
	}
	r.started(cut).finish <- "A dark room."
	if n := r.counters.Counter("inference.cancelled").Load(); n != 1 {
		t.Errorf("inference.cancelled = %d, want 1", n)
	}
}

// TestALargerChangePreemptsTheReplacement: the generation that replaced a preempted one keeps
// going through changes no larger than the one that preempted (the scene keeps changing), but a
// larger change cuts in again.
func TestALargerChangePreemptsTheReplacement(t *testing.T) {
	r := newDistanceRig(t, 12)
	ca := r.started(r.frame(bus.FrameFirst, 0))
	b := r.frame(bus.FrameChanged, 25)
	stopped(t, ca)
	cb := r.started(b)
	// As large a change as b's: b goes on (had it been cancelled, this frame would be described
	// next, and started(c) below would fail).
	r.frame(bus.FrameChanged, 25)
	c := r.frame(bus.FrameChanged, 40) // larger: b is cancelled too
	if err := stopped(t, cb); err == nil {
		t.Fatal("a larger change did not preempt the replacement")
	}
	r.started(c).finish <- "A green room."
	for {
		d := r.final()
		if d.FrameID == c.ID {
			if d.Cancelled != "" {
				t.Fatalf("the last scene was cancelled: %+v", d)
			}
			break
		}
	}
	if n := r.counters.Counter("inference.cancelled").Load(); n != 2 {
		t.Errorf("inference.cancelled = %d, want 2", n)
	}
}

// TestLargeChangePreemptsWhateverItsDistance: the lights going off barely move the hash, but
// capture marks the frame Large, and it preempts.
func TestLargeChangePreemptsWhateverItsDistance(t *testing.T) {
	r := newDistanceRig(t, 0)
	ca := r.started(r.frame(bus.FrameFirst, 0))
	dark := r.largeFrame(2)
	if err := stopped(t, ca); err == nil {
		t.Fatal("the lights going off did not preempt")
	}
	r.started(dark).finish <- "It is dark."
}

// largeFrame publishes a changed frame of cam0 that capture marked Large.
func (r *preemptRig) largeFrame(distance int) bus.Frame {
	r.t.Helper()
	r.seq++
	f := bus.Frame{ID: bus.NewID(), Camera: "cam0", Seq: r.seq, CapturedAt: time.Now().UTC(), Width: 1, Height: 1,
		Reason: bus.FrameChanged, Distance: distance, Large: true, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
	if err := r.pub.PublishFrame(f); err != nil {
		r.t.Fatal(err)
	}
	return f
}
