//go:build cgo

package speech

import (
	"context"
	"errors"
	"fmt"
	"runtime/debug"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gordonklaus/portaudio"
)

// PortAudioAvailable reports whether this build can play through PortAudio (it needs cgo).
const PortAudioAvailable = true

// PortAudio plays PCM through PortAudio on one output device. One stream stays open per sample
// rate; each clip starts it, and finishing drains it (Stop) while interrupting aborts it, which
// discards what is buffered so the sound ends at once.
type PortAudio struct {
	device *portaudio.DeviceInfo
	volume float32

	mu       sync.Mutex // one clip at a time
	stream   *portaudio.Stream
	rate     int
	channels int
	latency  time.Duration
	cur      atomic.Pointer[playback]
	closed   bool

	// onFirstSample, when set (by benchmarks), is called from the stream callback as it hands
	// a clip's first samples to the device.
	onFirstSample func()
}

// playback is the clip the stream callback is feeding.
type playback struct {
	samples  []int16
	pos      atomic.Int64
	done     chan struct{}
	doneOnce sync.Once
}

// OpenPortAudio initialises PortAudio and picks the output device called device (exact name,
// else the one whose name contains it, ignoring case; empty means the default output). Volume
// scales every sample, 0-1 (values above 1 amplify and may clip).
func OpenPortAudio(device string, volume float64) (*PortAudio, error) {
	if err := initPortAudio(); err != nil {
		return nil, err
	}
	dev, err := findOutput(device)
	if err != nil {
		_ = portaudio.Terminate()
		return nil, err
	}
	return &PortAudio{device: dev, volume: float32(volume)}, nil
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

func findOutput(name string) (*portaudio.DeviceInfo, error) {
	if name == "" {
		d, err := portaudio.DefaultOutputDevice()
		if err != nil {
			return nil, fmt.Errorf("portaudio: default output: %w; list outputs with `narrator devices`", err)
		}
		return d, nil
	}
	devs, err := portaudio.Devices()
	if err != nil {
		return nil, fmt.Errorf("portaudio: list devices: %w", err)
	}
	var outs []*portaudio.DeviceInfo
	for _, d := range devs {
		if d.MaxOutputChannels > 0 {
			outs = append(outs, d)
		}
	}
	for _, d := range outs {
		if d.Name == name {
			return d, nil
		}
	}
	var names []string
	for _, d := range outs {
		if strings.Contains(strings.ToLower(d.Name), strings.ToLower(name)) {
			return d, nil
		}
		names = append(names, fmt.Sprintf("%q", d.Name))
	}
	return nil, fmt.Errorf("portaudio: no output device called %q; outputs: %s", name, strings.Join(names, ", "))
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

// Name is "portaudio" and the device's name.
func (p *PortAudio) Name() string { return fmt.Sprintf("portaudio %q", p.device.Name) }

// Play plays pcm and returns once it has been heard, or silences it when ctx ends.
func (p *PortAudio) Play(ctx context.Context, pcm PCM) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return errors.New("portaudio: player closed")
	}
	if len(pcm.Samples) == 0 {
		return nil
	}
	if err := p.open(pcm.Rate); err != nil {
		return err
	}
	pb := &playback{samples: pcm.Samples, done: make(chan struct{})}
	p.cur.Store(pb)
	defer p.cur.Store(nil)
	if err := p.stream.Start(); err != nil {
		return fmt.Errorf("portaudio: start %s: %w", p.device.Name, err)
	}
	// The device pulls samples in real time; one that stops pulling is reported, not waited on.
	stall := time.NewTimer(pcm.Duration() + 2*time.Second + p.latency)
	defer stall.Stop()
	select {
	case <-pb.done: // every sample is in the device's buffers
	case <-ctx.Done():
		return p.abort(context.Cause(ctx))
	case <-stall.C:
		return p.abort(fmt.Errorf("portaudio: %s stopped taking audio", p.device.Name))
	}
	drain := time.NewTimer(p.latency)
	defer drain.Stop()
	select {
	case <-drain.C:
	case <-ctx.Done():
		return p.abort(context.Cause(ctx))
	}
	if err := p.stream.Stop(); err != nil {
		return fmt.Errorf("portaudio: stop %s: %w", p.device.Name, err)
	}
	return nil
}

// abort discards what the device still holds and returns why.
func (p *PortAudio) abort(why error) error {
	if err := p.stream.Abort(); err != nil {
		return errors.Join(why, fmt.Errorf("portaudio: abort: %w", err))
	}
	return why
}

// open makes sure a stream at rate is open: mono, or stereo when the device refuses mono.
func (p *PortAudio) open(rate int) error {
	if p.stream != nil && p.rate == rate {
		return nil
	}
	if p.stream != nil {
		_ = p.stream.Close()
		p.stream = nil
	}
	var err error
	for _, ch := range []int{1, 2} {
		if ch > p.device.MaxOutputChannels {
			break
		}
		params := portaudio.StreamParameters{
			Output:          portaudio.StreamDeviceParameters{Device: p.device, Channels: ch, Latency: p.device.DefaultHighOutputLatency},
			SampleRate:      float64(rate),
			FramesPerBuffer: portaudio.FramesPerBufferUnspecified,
		}
		channels := ch
		var s *portaudio.Stream
		s, err = portaudio.OpenStream(params, func(out []int16) { p.fill(out, channels) })
		if err == nil {
			p.stream, p.rate, p.channels = s, rate, ch
			p.latency = p.device.DefaultLowOutputLatency
			if info := s.Info(); info != nil {
				p.latency = info.OutputLatency
			}
			return nil
		}
	}
	return fmt.Errorf("portaudio: open %s at %d Hz: %w", p.device.Name, rate, err)
}

// fill is the stream callback: it copies the current clip into out, then silence.
func (p *PortAudio) fill(out []int16, channels int) {
	pb := p.cur.Load()
	if pb == nil {
		clear(out)
		return
	}
	pos := int(pb.pos.Load())
	if pos == 0 && p.onFirstSample != nil {
		p.onFirstSample()
	}
	frames := len(out) / channels
	for i := range frames {
		var v int16
		if pos < len(pb.samples) {
			v = scale(pb.samples[pos], p.volume)
			pos++
		}
		for c := range channels {
			out[i*channels+c] = v
		}
	}
	pb.pos.Store(int64(pos))
	if pos >= len(pb.samples) {
		pb.doneOnce.Do(func() { close(pb.done) })
	}
}

// scale multiplies a sample by volume, clipping at the int16 range.
func scale(s int16, volume float32) int16 {
	if volume == 1 {
		return s
	}
	v := float32(s) * volume
	return int16(max(min(v, 32767), -32768))
}

// Close closes the stream and releases PortAudio.
func (p *PortAudio) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.closed {
		return nil
	}
	p.closed = true
	var errs []error
	if p.stream != nil {
		if err := p.stream.Close(); err != nil {
			errs = append(errs, fmt.Errorf("portaudio: close stream: %w", err))
		}
	}
	if err := portaudio.Terminate(); err != nil {
		errs = append(errs, fmt.Errorf("portaudio: terminate: %w", err))
	}
	return errors.Join(errs...)
}

// OutputDevices lists the audio outputs PortAudio can play on, for `narrator devices` and
// `narrator doctor`. The names are what --audio-device takes.
func OutputDevices() ([]OutputDevice, error) {
	if err := initPortAudio(); err != nil {
		return nil, err
	}
	defer func() { _ = portaudio.Terminate() }()
	devs, err := portaudio.Devices()
	if err != nil {
		return nil, fmt.Errorf("portaudio: list devices: %w", err)
	}
	def, _ := portaudio.DefaultOutputDevice()
	var out []OutputDevice
	for _, d := range devs {
		if d.MaxOutputChannels == 0 {
			continue
		}
		out = append(out, OutputDevice{
			Name: d.Name, HostAPI: d.HostApi.Name, Channels: d.MaxOutputChannels,
			SampleRate: d.DefaultSampleRate, Default: def != nil && d.Index == def.Index,
		})
	}
	return out, nil
}
