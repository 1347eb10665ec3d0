package inference

import (
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// TestPreemptionSaysWhatChanged: a generation preempted by a frame capture marked Large (the
// lights went off) once said "scene changed, distance 0".
func TestPreemptionSaysWhatChanged(t *testing.T) {
	for _, c := range []struct {
		by        bus.Frame
		want, not string
	}{
		{bus.Frame{ID: "f1", Large: true, Distance: 0}, "preempted by frame f1 (a large change of brightness or colour)", "distance 0"},
		{bus.Frame{ID: "f2", Distance: 31}, "preempted by frame f2 (the scene changed: 31 of 64 hash bits differ)", "distance"},
		{bus.Frame{ID: "f3", Large: true, Distance: 40}, "(the scene changed: 40 of 64 hash bits differ)", "brightness"},
	} {
		got := (&preemption{by: c.by}).Error()
		if !strings.Contains(got, c.want) || strings.Contains(got, c.not) {
			t.Errorf("%+v: %q, want %q without %q", c.by, got, c.want, c.not)
		}
	}
}
