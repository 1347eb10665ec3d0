package speech

import (
	"fmt"
	"strings"
	"time"
)

// OutputDevice is an audio output speech can play on: a PortAudio device, or a PulseAudio sink
// played through PortAudio's "pulse" device with the stream sent to that sink.
type OutputDevice struct {
	// Name is what --audio-device takes.
	Name string `json:"name"`
	// Description is the sound server's name for a sink ("Built-in Audio Analog Stereo").
	Description string `json:"description,omitempty"`
	// HostAPI is the audio system that offers it: "ALSA", "Core Audio", or "PulseAudio" for a
	// sink.
	HostAPI    string  `json:"host_api"`
	Channels   int     `json:"channels"`
	SampleRate float64 `json:"sample_rate"`
	// Default is true for the system's default output (PortAudio's default device), and for
	// the sound server's default sink.
	Default bool `json:"default"`
}

// DefaultOutputLatency is the output latency the stream asks for (--audio-latency), unless the
// device's own low latency is higher: low enough that speech starts soon after it is queued,
// high enough that a busy machine does not starve the device (ALSA's pulse plugin underruns at
// 20-40 ms on a loaded two-core machine, not at 80). Silencing does not wait for it: it
// discards what the device holds.
const DefaultOutputLatency = 80 * time.Millisecond

// HostPulseAudio is the HostAPI of PulseAudio sinks.
const HostPulseAudio = "PulseAudio"

// PickOutput finds the device --audio-device means: the exact name, else the one name equal
// to it ignoring case, else the one name that contains it ignoring case. No match, or several,
// is an error that lists the outputs.
func PickOutput(devs []OutputDevice, name string) (OutputDevice, error) {
	for _, d := range devs {
		if d.Name == name {
			return d, nil
		}
	}
	low := strings.ToLower(name)
	var equal, partial []OutputDevice
	for _, d := range devs {
		switch n := strings.ToLower(d.Name); {
		case n == low:
			equal = append(equal, d)
		case strings.Contains(n, low):
			partial = append(partial, d)
		}
	}
	if len(equal) == 1 {
		return equal[0], nil
	}
	if len(equal) == 0 && len(partial) == 1 {
		return partial[0], nil
	}
	if len(equal)+len(partial) > 1 {
		return OutputDevice{}, fmt.Errorf("audio device %q matches several outputs: %s; give the whole name", name, deviceNames(append(equal, partial...)))
	}
	return OutputDevice{}, fmt.Errorf("no output device called %q; outputs (`narrator devices`): %s", name, deviceNames(devs))
}

func deviceNames(devs []OutputDevice) string {
	if len(devs) == 0 {
		return "none"
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = fmt.Sprintf("%q", d.Name)
	}
	return strings.Join(names, ", ")
}
