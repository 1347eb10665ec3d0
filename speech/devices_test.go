package speech

import (
	"math"
	"reflect"
	"strings"
	"testing"
)

var pactlSinks = []struct{ list, info string }{
	{"Sink #0\n\tState: IDLE\n\tName: alsa_output.pci-0000_00_1f.3.analog-stereo\n\tDescription: Built-in Audio Analog Stereo\n\tDriver: module-alsa-card.c\n\tProperties:\n\t\tdevice.description = \"x\"\n\t\tName: not a field\n\nSink #1\n\tName: obs_virtual\n\tDescription: OBS Virtual Sink\n",
		"Server Name: pulseaudio\nDefault Sink: obs_virtual\n"},
	{"", ""},
	{"Sink #3\n\tDescription: no name\n", ""},
	{"garbage\n\tName: orphan\nSink #", "Default Sink:"},
}

func TestParsePulseSinks(t *testing.T) {
	got := parsePulseSinks(pactlSinks[0].list, pactlSinks[0].info)
	want := []PulseSink{
		{Name: "alsa_output.pci-0000_00_1f.3.analog-stereo", Description: "Built-in Audio Analog Stereo"},
		{Name: "obs_virtual", Description: "OBS Virtual Sink", Default: true},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%+v, want %+v", got, want)
	}
	for _, c := range pactlSinks[1:] {
		if got := parsePulseSinks(c.list, c.info); len(got) != 0 {
			t.Errorf("%q: %+v, want none", c.list, got)
		}
	}
}

func FuzzParsePulseSinks(f *testing.F) {
	for _, c := range pactlSinks {
		f.Add(c.list, c.info)
	}
	f.Fuzz(func(t *testing.T, list, info string) {
		for _, s := range parsePulseSinks(list, info) {
			if s.Name == "" || strings.ContainsAny(s.Name, "\n") {
				t.Fatalf("sink %+v", s)
			}
		}
	})
}

func TestPickOutput(t *testing.T) {
	devs := []OutputDevice{{Name: "pulse"}, {Name: "default"}, {Name: "obs_virtual", HostAPI: HostPulseAudio}, {Name: "alsa_output.usb-headset"}, {Name: "alsa_output.hdmi"}, {Name: "OBS"}}
	cases := []struct{ name, want, err string }{
		{"pulse", "pulse", ""},
		{"obs_virtual", "obs_virtual", ""},
		{"OBS", "OBS", ""},
		{"obs", "OBS", ""}, // equal ignoring case beats containing
		{"headset", "alsa_output.usb-headset", ""},
		{"alsa_output", "", "matches several outputs"},
		{"no such", "", `no output device called "no such"; outputs (` + "`narrator devices`" + `): "pulse", "default", "obs_virtual"`},
	}
	for _, c := range cases {
		got, err := PickOutput(devs, c.name)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%q: %+v, %v; want error %q", c.name, got, err, c.err)
			}
			continue
		}
		if err != nil || got.Name != c.want {
			t.Errorf("%q: %+v, %v; want %q", c.name, got, err, c.want)
		}
	}
}

func TestResample(t *testing.T) {
	in := PCM{Rate: 22050, Samples: make([]int16, 22050)}
	for i := range in.Samples {
		in.Samples[i] = int16(10000 * sinTurns(float64(i)*440/22050))
	}
	out := Resample(in, 48000)
	if out.Rate != 48000 || len(out.Samples) != 48000 {
		t.Fatalf("%d samples at %d Hz, want 48000 at 48000", len(out.Samples), out.Rate)
	}
	crossings := 0
	for i := 1; i < len(out.Samples); i++ {
		if (out.Samples[i-1] < 0) != (out.Samples[i] < 0) {
			crossings++
		}
	}
	if crossings < 870 || crossings > 890 { // 440 Hz for one second
		t.Fatalf("%d zero crossings, want 880", crossings)
	}
	if same := Resample(in, 22050); len(same.Samples) != len(in.Samples) {
		t.Fatal("resampling to the same rate changed the length")
	}
}

func sinTurns(turns float64) float64 { return math.Sin(2 * math.Pi * turns) }
