//go:build !cgo

package speech

import (
	"context"
	"errors"
	"time"
)

// PortAudioAvailable reports whether this build can play through PortAudio (it needs cgo).
const PortAudioAvailable = false

// errNoPortAudio explains why this build cannot play audio itself.
var errNoPortAudio = errors.New("portaudio: this build has no PortAudio (built with CGO_ENABLED=0); rebuild with cgo and portaudio installed")

// PortAudio is unavailable in builds without cgo; OpenPortAudio says so.
type PortAudio struct{}

// OpenPortAudio reports that PortAudio is not in this build.
func OpenPortAudio(string, float64) (*PortAudio, error) { return nil, errNoPortAudio }

// Name is "portaudio".
func (*PortAudio) Name() string { return "portaudio" }

// Play reports that PortAudio is not in this build.
func (*PortAudio) Play(context.Context, PCM) error { return errNoPortAudio }

// Queue reports that PortAudio is not in this build.
func (*PortAudio) Queue(PCM) (*Playback, error) { return nil, errNoPortAudio }

// Device is empty.
func (*PortAudio) Device() OutputDevice { return OutputDevice{} }

// SetLatency does nothing.
func (*PortAudio) SetLatency(time.Duration) {}

// Close does nothing.
func (*PortAudio) Close() error { return nil }

// OutputDevices reports that PortAudio is not in this build.
func OutputDevices() ([]OutputDevice, error) { return nil, errNoPortAudio }
