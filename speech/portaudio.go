//go:build cgo

package speech

import (
	"context"
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gordonklaus/portaudio"
)

// PortAudioAvailable reports whether this build can play through PortAudio (it needs cgo).
const PortAudioAvailable = true

// PortAudio plays PCM on one output device through one PortAudio stream that stays open from
// the first clip until Close. Clips are queued on it (Queue) and the stream callback plays
// them back to back from that bounded queue, silence when it is empty; see docs/speech.md.
type PortAudio struct {
	out    OutputDevice
	dev    *portaudio.DeviceInfo
	sink   string // the PulseAudio sink the stream is sent to, when out is a sink
	volume float32

	ctl    sync.Mutex // opening, restarting and closing the stream
	stream *portaudio.Stream
	closed bool

	wantLatency time.Duration // asked for at open; 0: DefaultOutputLatency

	mu       sync.Mutex // what the callback reads: the stream's format, the queue, what sounds
	rate     int
	channels int
	latency  time.Duration // the stream's reported output latency
	queue    []*Playback
	sounding []*Playback // handed over entirely, last sample not yet due
	muted    bool        // the stream is being cut: the callback writes silence

	underflows atomic.Int64
	lastFill   atomic.Int64 // when the stream callback last ran (unix ns); 0 before the stream opens

	// forceRate, when set (by tests), is the only rate the stream opens at, as for a device
	// that cannot play the voice's own rate.
	forceRate int
	// onFirstSample, when set (by benchmarks), is called from the stream callback as it hands
	// a clip's first samples to the device.
	onFirstSample func()
}

// OpenPortAudio initialises PortAudio and picks the output called device from OutputDevices
// (exact name, else the only one equal ignoring case or containing it; empty means the default
// output). Volume scales every sample, 0-1 (values above 1 amplify and may clip). The stream
// opens with the first clip, at that clip's rate, or with Start.
func OpenPortAudio(device string, volume float64) (*PortAudio, error) {
	if err := initPortAudio(); err != nil {
		return nil, err
	}
	p, err := pickPortAudio(device)
	if err != nil {
		_ = portaudio.Terminate() // the error that matters is err
		return nil, fmt.Errorf("portaudio: %w", err)
	}
	p.volume = float32(volume)
	return p, nil
}

func pickPortAudio(name string) (*PortAudio, error) {
	if name == "" {
		d, err := portaudio.DefaultOutputDevice()
		if err != nil {
			return nil, fmt.Errorf("default output: %w; list outputs with `narrator devices`", err)
		}
		return &PortAudio{out: paOutput(d, true), dev: d}, nil
	}
	devs, pa, err := outputs()
	if err != nil {
		return nil, err
	}
	out, err := PickOutput(devs, name)
	if err != nil {
		return nil, err
	}
	p := &PortAudio{out: out, dev: pa[out.Name]}
	if out.HostAPI == HostPulseAudio {
		p.dev, p.sink = pa[pulseDevice], out.Name
	}
	return p, nil
}

// pulseDevice is the ALSA device of the PulseAudio plugin: every sink is reached through it.
const pulseDevice = "pulse"

// outputs lists the PortAudio output devices, then, when PortAudio has the "pulse" device, the
// PulseAudio sinks (a sink named like a PortAudio device is left out). PortAudio is initialised.
func outputs() ([]OutputDevice, map[string]*portaudio.DeviceInfo, error) {
	devs, err := portaudio.Devices()
	if err != nil {
		return nil, nil, fmt.Errorf("list devices: %w", err)
	}
	def, _ := portaudio.DefaultOutputDevice()
	var out []OutputDevice
	byName := map[string]*portaudio.DeviceInfo{}
	for _, d := range devs {
		if d.MaxOutputChannels == 0 {
			continue
		}
		if _, dup := byName[d.Name]; dup {
			continue
		}
		out = append(out, paOutput(d, def != nil && d.Index == def.Index))
		byName[d.Name] = d
	}
	if pulse := byName[pulseDevice]; pulse != nil {
		sinks, _ := pulseSinks(context.Background()) // no pactl or no server: no sinks to list
		for _, s := range sinks {
			if _, dup := byName[s.Name]; dup {
				continue
			}
			out = append(out, OutputDevice{Name: s.Name, Description: s.Description, HostAPI: HostPulseAudio,
				Channels: pulse.MaxOutputChannels, SampleRate: pulse.DefaultSampleRate, Default: s.Default})
		}
	}
	return out, byName, nil
}

func paOutput(d *portaudio.DeviceInfo, isDefault bool) OutputDevice {
	return OutputDevice{Name: d.Name, HostAPI: d.HostApi.Name, Channels: d.MaxOutputChannels, SampleRate: d.DefaultSampleRate, Default: isDefault}
}

// OutputDevices lists the audio outputs speech can play on, for `narrator devices` and
// `narrator doctor`: exactly the names --audio-device takes.
func OutputDevices() ([]OutputDevice, error) {
	if err := initPortAudio(); err != nil {
		return nil, err
	}
	devs, _, err := outputs()
	if err != nil {
		return nil, errors.Join(fmt.Errorf("portaudio: %w", err), portaudio.Terminate())
	}
	if err := portaudio.Terminate(); err != nil {
		return nil, fmt.Errorf("portaudio: terminate: %w", err)
	}
	return devs, nil
}

// envMu serialises changes to PULSE_SINK while a stream is opened.
var envMu sync.Mutex

// withPulseSink runs open with PULSE_SINK naming sink, when there is one. The ALSA pulse plugin
// creates its PulseAudio context when the device is opened, and libpulse takes the default
// sink of a new context from PULSE_SINK; so the stream goes to that sink and nothing else in
// the process changes.
func withPulseSink(sink string, open func()) error {
	if sink == "" {
		open()
		return nil
	}
	envMu.Lock()
	defer envMu.Unlock()
	old, had := os.LookupEnv("PULSE_SINK")
	if err := os.Setenv("PULSE_SINK", sink); err != nil {
		return fmt.Errorf("choose PulseAudio sink %q: %w", sink, err)
	}
	open()
	if had {
		return os.Setenv("PULSE_SINK", old)
	}
	return os.Unsetenv("PULSE_SINK")
}

func initPortAudio() error {
	if err := checkptrGuard(); err != nil {
		return err
	}
	quietALSA()
	if err := portaudio.Initialize(); err != nil {
		return fmt.Errorf("portaudio: initialise: %w", err)
	}
	return nil
}

// checkptrGuard refuses to start PortAudio in a binary built with -race, -msan or -asan (which
// turn on checkptr) unless checkptr is off for the binding: the binding turns its stream ids into
// pointers, which checkptr stops the whole process for.
func checkptrGuard() error {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return nil
	}
	checked, exempt := false, false
	for _, s := range bi.Settings {
		switch s.Key {
		case "-race", "-msan", "-asan":
			checked = checked || s.Value == "true"
		case "-gcflags":
			exempt = strings.Contains(s.Value, "github.com/gordonklaus/portaudio=-d=checkptr=0") || strings.Contains(s.Value, "all=-d=checkptr=0")
		}
	}
	if checked && !exempt {
		return errors.New("portaudio: this binary was built with the race detector, whose pointer checks stop the process inside the PortAudio binding; " +
			"add -gcflags=" + CheckptrExemption + " (scripts/test does)")
	}
	return nil
}

// CheckptrExemption is the -gcflags value that lets PortAudio run in a -race build.
const CheckptrExemption = "github.com/gordonklaus/portaudio=-d=checkptr=0"

// Name is "portaudio" and the output's name.
func (p *PortAudio) Name() string { return fmt.Sprintf("portaudio %q", p.out.Name) }

// Device is the output it plays on.
func (p *PortAudio) Device() OutputDevice { return p.out }

// Play plays pcm and returns once it has been heard, or silences it when ctx ends.
func (p *PortAudio) Play(ctx context.Context, pcm PCM) error { return playQueued(ctx, p, pcm) }

// Close silences what is queued or sounding, closes the stream and releases PortAudio.
func (p *PortAudio) Close() error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	p.mu.Lock()
	for _, pb := range append(p.queue, p.sounding...) {
		pb.silenced(errPlayerClosed)
	}
	p.queue, p.sounding = nil, nil
	p.mu.Unlock()
	var errs []error
	if p.stream != nil {
		if err := p.stream.Abort(); err != nil {
			errs = append(errs, fmt.Errorf("portaudio: abort stream: %w", err))
		}
		if err := p.stream.Close(); err != nil {
			errs = append(errs, fmt.Errorf("portaudio: close stream: %w", err))
		}
	}
	if err := portaudio.Terminate(); err != nil && !errors.Is(err, portaudio.NotInitialized) { // a failed restart (Reset)
		errs = append(errs, fmt.Errorf("portaudio: terminate: %w", err))
	}
	return errors.Join(errs...)
}

var errPlayerClosed = errors.New("portaudio: player closed")

// errDeviceReset is why clips still queued when the stream is reset are silenced.
var errDeviceReset = errors.New("portaudio: the output stream was reset")

// Reset closes the stream, silencing what is queued or sounding, so that the next clip opens
// it afresh: after a stream error (a device that went away, a sound server that dropped the
// stream) the old stream may never play again.
func (p *PortAudio) Reset() error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.mu.Lock()
	for _, pb := range append(p.queue, p.sounding...) {
		pb.silenced(errDeviceReset)
	}
	p.queue, p.sounding = nil, nil
	p.mu.Unlock()
	if p.closed {
		return nil
	}
	var errs []error
	if s := p.stream; s != nil {
		p.stream = nil
		// The stream failed already; aborting and closing it only free it.
		errs = append(errs, s.Abort(), s.Close())
	}
	// PortAudio is started afresh too, so the next stream gets new ALSA and sound-server
	// connections: after PulseAudio dropped a stream, streams reopened on the old ones played a
	// moment of silence, then stalled again within seconds, so speech flapped between audio and
	// text (TestFailoverRealStreamDroppedSinkStays).
	errs = append(errs, p.restartPortAudio())
	return errors.Join(errs...)
}

// restartPortAudio terminates and initialises PortAudio again and finds the output anew (the
// old device handles do not survive). p.ctl is held and no stream is open.
func (p *PortAudio) restartPortAudio() error {
	// Not initialised: a restart before this one failed half-way; initialising is what is left.
	if err := portaudio.Terminate(); err != nil && !errors.Is(err, portaudio.NotInitialized) {
		return fmt.Errorf("portaudio: terminate: %w", err)
	}
	if err := initPortAudio(); err != nil {
		return err
	}
	name := p.out.Name
	if p.out.Default && p.sink == "" {
		name = ""
	}
	fresh, err := pickPortAudio(name)
	if err != nil {
		return fmt.Errorf("portaudio: %w", err)
	}
	p.dev, p.sink = fresh.dev, fresh.sink
	return nil
}
