package capture

import (
	"testing"
	"time"
)

func TestDemoScenesAreClearlyDifferent(t *testing.T) {
	d := NewDemo(SourceConfig{Width: 640, Height: 360, FPS: 100})
	defer d.Close()
	for i := range demoScenes {
		j := (i + 1) % len(demoScenes)
		var g Gate
		t0 := time.Unix(0, 0)
		g.Check(Sign(d.withNoise(d.frames[i])), t0)
		if send, _, _ := g.Check(Sign(d.withNoise(d.frames[i])), t0.Add(time.Second)); send {
			t.Errorf("scene %d: noise alone counted as a change", i)
		}
		send, reason, dist := g.Check(Sign(d.withNoise(d.frames[j])), t0.Add(2*time.Second))
		if !send || reason != "changed" {
			t.Errorf("scene %d → %d: not a change (distance %d)", i, j, dist)
		}
	}
}

func TestDemoReadsAndCloses(t *testing.T) {
	d := NewDemo(SourceConfig{Width: 64, Height: 36, FPS: 200})
	img, release, err := d.Read()
	if err != nil || img.Bounds().Dx() != 64 {
		t.Fatalf("Read: %v %v", img, err)
	}
	release()
	d.Close()
	if _, _, err := d.Read(); err == nil {
		t.Error("Read after Close succeeded")
	}
}
