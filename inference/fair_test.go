package inference_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
)

// slowDescriber is a test double of a model with a fixed latency: it answers each frame after
// delay, naming the frame, unless its context ends first.
type slowDescriber struct {
	name  string
	delay time.Duration
}

func (d slowDescriber) Info() inference.Info {
	return inference.Info{Backend: "test", Model: d.name, IsModel: true}
}

func (d slowDescriber) Describe(ctx context.Context, f bus.Frame, _ func(string)) (inference.Result, error) {
	select {
	case <-time.After(d.delay):
		return inference.Result{Text: d.name + " saw " + f.ID}, nil
	case <-ctx.Done():
		return inference.Result{}, ctx.Err()
	}
}

// TestFourCamerasChangingTogether: four cameras whose scenes change at the same moments, faster
// than the model answers one of them. With one waiting frame for all cameras, three of every
// four changes were lost; with a slot per camera, every camera's every change is described.
func TestFourCamerasChangingTogether(t *testing.T) {
	checkLeaks(t)
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "cameras")
	finals := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 256)
	counters := bus.NewCounters()
	conn := bustest.Conn(t, srv, "inference")
	st, err := inference.New(conn, inference.Config{Describer: slowDescriber{name: "m", delay: 20 * time.Millisecond}, Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, st)

	cameras := []string{"door", "hall", "yard", "desk"}
	const rounds = 8
	described := map[string]string{} // frame ID → camera
	for round := 1; round <= rounds; round++ {
		sent := map[string]bool{}
		for _, cam := range cameras { // all four change at once
			f := bus.Frame{ID: fmt.Sprintf("%s-%d", cam, round), Camera: cam, Seq: uint64(round), CapturedAt: time.Now().UTC(),
				Width: 1, Height: 1, Reason: bus.FrameChanged, Distance: 30, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
			if err := pub.PublishFrame(f); err != nil {
				t.Fatal(err)
			}
			sent[f.ID] = true
		}
		for len(sent) > 0 { // every one of them is described before the next change
			d := bustest.Next(t, finals, 10*time.Second)
			if d.Partial {
				continue
			}
			if !sent[d.FrameID] {
				t.Fatalf("round %d: described %s (%s), not one of this round's frames %v", round, d.FrameID, d.Error, sent)
			}
			delete(sent, d.FrameID)
			described[d.FrameID] = d.Camera
		}
	}
	if len(described) != rounds*len(cameras) {
		t.Fatalf("%d changes described, want %d", len(described), rounds*len(cameras))
	}
	snap := counters.Snapshot()
	for _, cam := range cameras {
		for outcome, want := range map[string]uint64{bus.CameraSent: rounds, bus.CameraDescribed: rounds, bus.CameraSuperseded: 0, bus.CameraDropped: 0} {
			if got := snap[bus.InferenceCameraCounter(cam, outcome)]; got != want {
				t.Errorf("%s: %s = %d, want %d", cam, outcome, got, want)
			}
		}
	}
}

// TestNewestWinsWithinACameraOnly: while the model is busy, a camera that changes three times
// has only its newest frame described; the single change of another camera is still
// described, and the camera that waited longest goes first.
func TestNewestWinsWithinACameraOnly(t *testing.T) {
	checkLeaks(t)
	desc := &blockingDescriber{calls: make(chan *call, 8)}
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "cameras")
	finals := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 64)
	counters := bus.NewCounters()
	conn := bustest.Conn(t, srv, "inference")
	st, err := inference.New(conn, inference.Config{Describer: desc, Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, st)
	publish := func(id, cam string) {
		f := bus.Frame{ID: id, Camera: cam, CapturedAt: time.Now().UTC(), Width: 1, Height: 1, Reason: bus.FrameChanged,
			Distance: 30, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
		if err := pub.PublishFrame(f); err != nil {
			t.Fatal(err)
		}
		if err := pub.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	next := func(want string) {
		t.Helper()
		select {
		case c := <-desc.calls:
			if c.frame.ID != want {
				t.Fatalf("describer started on %s, want %s", c.frame.ID, want)
			}
			c.finish <- "seen"
		case <-time.After(10 * time.Second):
			t.Fatalf("describer never started on %s", want)
		}
	}
	publish("busy-1", "busy")
	select { // the model is busy with busy-1 before the others arrive
	case c := <-desc.calls:
		publish("busy-2", "busy")
		publish("calm-1", "calm")
		publish("busy-3", "busy")
		publish("busy-4", "busy")
		bustest.Eventually(t, 10*time.Second, "three frames superseded or waiting", func() bool {
			s := counters.Snapshot()
			return s[bus.InferenceCameraCounter("busy", bus.CameraSent)] == 4 && s[bus.InferenceCameraCounter("calm", bus.CameraSent)] == 1
		})
		c.finish <- "seen"
	case <-time.After(10 * time.Second):
		t.Fatal("describer never started")
	}
	next("busy-4") // busy's slot was filled (by busy-2) before calm's: it goes first, with its newest frame
	next("calm-1")
	for n := 0; n < 3; {
		if d := bustest.Next(t, finals, 10*time.Second); !d.Partial {
			n++
		}
	}
	snap := counters.Snapshot()
	if got := snap[bus.InferenceCameraCounter("busy", bus.CameraSuperseded)]; got != 2 {
		t.Errorf("busy superseded %d, want 2 (busy-2 and busy-3)", got)
	}
	if got := snap[bus.InferenceCameraCounter("calm", bus.CameraDescribed)]; got != 1 {
		t.Errorf("calm described %d, want 1", got)
	}
}

// TestStaleFramesAreNotDescribed: a frame captured longer ago than MaxAge when its turn comes
// is dropped and counted, never described.
func TestStaleFramesAreNotDescribed(t *testing.T) {
	checkLeaks(t)
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "cameras")
	finals := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 16)
	counters := bus.NewCounters()
	conn := bustest.Conn(t, srv, "inference")
	st, err := inference.New(conn, inference.Config{Describer: slowDescriber{name: "m"}, Counters: counters, MaxAge: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Flush(); err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, st)
	old := bus.Frame{ID: "old", Camera: "cam", CapturedAt: time.Now().Add(-2 * time.Minute).UTC(), Width: 1, Height: 1,
		Reason: bus.FrameChanged, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
	fresh := old
	fresh.ID, fresh.CapturedAt = "fresh", time.Now().UTC()
	for _, f := range []bus.Frame{old, fresh} {
		if err := pub.PublishFrame(f); err != nil {
			t.Fatal(err)
		}
		if err := pub.Flush(); err != nil {
			t.Fatal(err)
		}
		bustest.Eventually(t, 10*time.Second, "frame taken", func() bool {
			return counters.Snapshot()[bus.InferenceCameraCounter("cam", bus.CameraSent)] > 0 && counters.Snapshot()[bus.CounterInferenceFramesStale]+counters.Snapshot()[bus.CounterInferenceDescribed] > 0
		})
	}
	d := bustest.Next(t, finals, 10*time.Second)
	if d.FrameID != "fresh" {
		t.Fatalf("described %s, want only the fresh frame", d.FrameID)
	}
	if got := counters.Snapshot()[bus.CounterInferenceFramesStale]; got != 1 {
		t.Errorf("stale %d, want 1", got)
	}
}
