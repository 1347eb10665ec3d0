//go:build cgo

package speech

import (
	"context"
	"os/exec"
	"slices"
	"strings"
	"testing"
	"time"
)

// extraSink adds a second null sink to the test's PulseAudio for the test's lifetime, as a
// streamer's virtual sink would be.
func extraSink(t *testing.T, name string) {
	t.Helper()
	out, err := exec.Command("pactl", "load-module", "module-null-sink", "sink_name="+name).Output()
	if err != nil {
		t.Fatalf("pactl load-module module-null-sink: %v", err)
	}
	module := strings.TrimSpace(string(out))
	t.Cleanup(func() {
		if err := exec.Command("pactl", "unload-module", module).Run(); err != nil {
			t.Errorf("pactl unload-module %s: %v", module, err)
		}
	})
}

func TestPortAudioPlaysOnTheSinkNamed(t *testing.T) {
	def := audioSink(t) // PULSE_SINK names it: what plays on the default output lands there
	virtual := def + "_virtual"
	extraSink(t, virtual)
	onDefault, onVirtual := record(t, def), record(t, virtual)

	devs, err := OutputDevices()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(devs, func(d OutputDevice) bool { return d.Name == virtual })
	if i < 0 || devs[i].HostAPI != HostPulseAudio {
		t.Fatalf("`narrator devices` would not list the sink %q: %+v", virtual, devs)
	}
	p, err := OpenPortAudio(virtual, 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	before := time.Now()
	if err := p.Play(context.Background(), tone(440, 300*time.Millisecond, 22050)); err != nil {
		t.Fatal(err)
	}
	after := time.Now().Add(200 * time.Millisecond)
	onVirtual.waitUntil(t, after)
	onDefault.waitUntil(t, after)
	if heard := onVirtual.loudWindows(before, after); len(heard) < 20 {
		t.Fatalf("the sink %q recorded %d loud 10 ms windows of a 300 ms tone", virtual, len(heard))
	}
	if heard := onDefault.loudWindows(before, after); len(heard) > 0 {
		t.Fatalf("the default sink %q heard the tone meant for %q", def, virtual)
	}
	if got := p.Device(); got.Name != virtual {
		t.Fatalf("playing on %+v", got)
	}
}

func TestOpenUnknownDeviceIsAnErrorSaidOnTheDefaultOutput(t *testing.T) {
	needESpeak(t)
	sink := audioSink(t)
	rec := record(t, sink)
	before := time.Now()
	s, err := Open(context.Background(), Options{Mode: ModePortAudio, Device: "no such device 42", Earcons: true, Logger: quiet})
	if err == nil {
		s.Close()
		t.Fatalf("an unknown device gave the speaker %s, want an error", s.Name())
	}
	for _, want := range []string{`audio device "no such device 42" cannot be used`, `"pulse"`, `"` + sink + `"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %s", err, want)
		}
	}
	after := time.Now()
	rec.waitUntil(t, after.Add(100*time.Millisecond))
	// The earcon (250 ms) and the spoken message (seconds) on the default output.
	if heard := rec.loudWindows(before, after.Add(100*time.Millisecond)); len(heard) < 100 {
		t.Fatalf("the default output heard %d loud 10 ms windows, want the earcon and a spoken message", len(heard))
	}
}

func TestPortAudioResamplesForADeviceThatWantsAnotherRate(t *testing.T) {
	rec := record(t, audioSink(t))
	p, err := OpenPortAudio("", 1)
	if err != nil {
		t.Fatal(err)
	}
	defer p.Close()
	p.forceRate = 48000 // as a device that cannot play 22.05 kHz
	before := time.Now()
	if err := p.Play(context.Background(), tone(440, 500*time.Millisecond, 22050)); err != nil {
		t.Fatal(err)
	}
	if p.Rate() != 48000 {
		t.Fatalf("stream at %d Hz", p.Rate())
	}
	after := time.Now().Add(200 * time.Millisecond)
	rec.waitUntil(t, after)
	heard := rec.loudWindows(before, after)
	// Played unconverted, the tone would last 230 ms at 958 Hz.
	if len(heard) < 45 || len(heard) > 55 {
		t.Fatalf("%d loud 10 ms windows, want about 50 (500 ms)", len(heard))
	}
	rec.mu.Lock()
	defer rec.mu.Unlock()
	if hz := pitch(rec.samples); hz < 420 || hz > 460 {
		t.Fatalf("recorded pitch %.0f Hz, want 440", hz)
	}
}

// pitch estimates the frequency of the loud part of samples (at recRate) by counting zero
// crossings.
func pitch(samples []int16) float64 {
	crossings, n := 0, 0
	for i := 1; i < len(samples); i++ {
		a, b := samples[i-1], samples[i]
		if max(a, -a) < 200 && max(b, -b) < 200 {
			continue // silence around the tone
		}
		n++
		if (a < 0) != (b < 0) {
			crossings++
		}
	}
	if n == 0 {
		return 0
	}
	return float64(crossings) / 2 / (float64(n) / recRate)
}
