//go:build cgo

package speech

import (
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/gordonklaus/portaudio"
)

// MaxQueuedClips bounds the clips waiting on the output stream; Queue refuses more.
const MaxQueuedClips = 8

// ErrQueueFull is returned by Queue when MaxQueuedClips are waiting.
var ErrQueueFull = errors.New("portaudio: output queue full")

// deadAfter is how long the stream callback may go without running, while the stream is
// open, before the device counts as stalled (it runs every few milliseconds while playing).
const deadAfter = 1500 * time.Millisecond

// stalled reports whether the open stream's callback has not run for deadAfter: the device
// (or the sound server) stopped asking for samples.
func (p *PortAudio) stalled() bool {
	last := p.lastFill.Load()
	return last != 0 && time.Since(time.Unix(0, last)) > deadAfter
}

// stallGrace is how long past its due time a clip may take to be handed to the device before
// the device counts as stalled.
const stallGrace = 2 * time.Second

// Start opens and starts the output stream at rate Hz (the voice's rate) unless it is open.
func (p *PortAudio) Start(rate int) error {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	if p.closed {
		return errPlayerClosed
	}
	if p.stream != nil {
		return nil
	}
	return p.open(rate)
}

// Rate is the stream's sample rate, 0 before it is open.
func (p *PortAudio) Rate() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.rate
}

// Latency is the output latency the open stream reports.
func (p *PortAudio) Latency() time.Duration {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.latency
}

// Underflows counts the callbacks in which the device ran out of samples (heard as clicks).
func (p *PortAudio) Underflows() int64 { return p.underflows.Load() }

// open opens the stream at rate with a low suggested latency, mono or, when the device refuses
// mono, stereo (the callback copies each sample to every channel). A device that refuses rate
// gets its own default rate, and clips are resampled to it. p.ctl is held.
func (p *PortAudio) open(rate int) error {
	rates := []int{rate}
	if def := int(p.dev.DefaultSampleRate); def > 0 && def != rate {
		rates = append(rates, def)
	}
	if p.forceRate > 0 {
		rates = []int{p.forceRate}
	}
	var errs []error
	for _, r := range rates {
		for ch := 1; ch <= min(2, p.dev.MaxOutputChannels); ch++ {
			params := portaudio.StreamParameters{
				Output:          portaudio.StreamDeviceParameters{Device: p.dev, Channels: ch, Latency: p.suggestedLatency()},
				SampleRate:      float64(r),
				FramesPerBuffer: portaudio.FramesPerBufferUnspecified,
			}
			var (
				s   *portaudio.Stream
				err error
			)
			envErr := withPulseSink(p.sink, func() { s, err = portaudio.OpenStream(params, p.fill) })
			if err == nil && envErr != nil {
				err = errors.Join(envErr, s.Close())
			}
			if err != nil {
				errs = append(errs, fmt.Errorf("%d Hz, %d channels: %w", r, ch, err))
				continue
			}
			p.mu.Lock()
			p.channels, p.rate, p.latency = ch, r, p.dev.DefaultLowOutputLatency
			if info := s.Info(); info != nil {
				p.latency = info.OutputLatency
			}
			p.mu.Unlock()
			if err := s.Start(); err != nil {
				return fmt.Errorf("portaudio: start %s: %w", p.out.Name, errors.Join(err, s.Close()))
			}
			p.lastFill.Store(time.Now().UnixNano()) // counts as a callback: the stream just started
			p.stream = s
			return nil
		}
	}
	return fmt.Errorf("portaudio: open %s: %w", p.out.Name, errors.Join(errs...))
}

// SetLatency sets the output latency the stream asks for when it opens (0: the default).
func (p *PortAudio) SetLatency(d time.Duration) {
	p.ctl.Lock()
	defer p.ctl.Unlock()
	p.wantLatency = d
}

func (p *PortAudio) suggestedLatency() time.Duration {
	want := p.wantLatency
	if want <= 0 {
		want = DefaultOutputLatency
	}
	return max(p.dev.DefaultLowOutputLatency, want)
}

// Queue puts pcm behind what is queued, converted to the stream's rate, opening the stream at
// pcm's rate if it is not open yet.
func (p *PortAudio) Queue(pcm PCM) (*Playback, error) {
	p.ctl.Lock()
	if p.closed {
		p.ctl.Unlock()
		return nil, errPlayerClosed
	}
	if p.stream == nil {
		if err := p.open(pcm.Rate); err != nil {
			p.ctl.Unlock()
			return nil, err
		}
	}
	p.ctl.Unlock()
	rate := p.Rate()
	if pcm.Rate != rate {
		pcm = Resample(pcm, rate)
	}
	pb := newPlayback(pcm.Samples, p.cancel)
	pb.stalled = p.stalled
	p.mu.Lock()
	defer p.mu.Unlock()
	if len(p.queue) >= MaxQueuedClips {
		return nil, ErrQueueFull
	}
	ahead := 0
	for _, q := range p.queue {
		ahead += len(q.samples) - q.pos
	}
	pb.deadline = time.Now().Add(time.Duration(ahead+len(pcm.Samples))*time.Second/time.Duration(rate) + p.latency + stallGrace)
	if len(pcm.Samples) == 0 {
		pb.first, pb.last = time.Now(), time.Now()
		close(pb.began)
		close(pb.near)
		close(pb.handed)
		return pb, nil
	}
	p.queue = append(p.queue, pb)
	return pb, nil
}

// fill is the stream callback: it copies the queued clips into out back to back, then silence,
// and stamps each clip's first and last sample with the time it is due at the output: the
// stream time of the buffer's first sample at the DAC (the stream's current time plus the
// output latency) turned into wall time, plus the samples before it.
func (p *PortAudio) fill(out []int16, ti portaudio.StreamCallbackTimeInfo, flags portaudio.StreamCallbackFlags) {
	now := time.Now()
	p.lastFill.Store(now.UnixNano())
	if flags&portaudio.OutputUnderflow != 0 {
		p.underflows.Add(1)
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	ch := p.channels
	dac := now.Add(p.latency)
	if d := ti.OutputBufferDacTime - ti.CurrentTime; ti.OutputBufferDacTime > 0 && d >= 0 && d < stallGrace {
		dac = now.Add(d)
	}
	at := func(frame int) time.Time { return dac.Add(time.Duration(frame) * time.Second / time.Duration(p.rate)) }
	frames := len(out) / ch
	i := 0
	for !p.muted && i < frames && len(p.queue) > 0 {
		pb := p.queue[0]
		if pb.pos == 0 {
			pb.first = at(i)
			close(pb.began)
			if p.onFirstSample != nil {
				p.onFirstSample()
			}
		}
		n := min(frames-i, len(pb.samples)-pb.pos)
		for k := range n {
			v := scale(pb.samples[pb.pos+k], p.volume)
			for c := range ch {
				out[(i+k)*ch+c] = v
			}
		}
		i += n
		pb.pos += n
		if left := len(pb.samples) - pb.pos; left <= p.rate*int(HandOverLead/time.Millisecond)/1000 && !pb.isNear {
			pb.isNear = true
			close(pb.near)
		}
		if pb.pos == len(pb.samples) {
			pb.last = at(i)
			close(pb.handed)
			p.queue = p.queue[1:]
			p.sounding = append(p.sounding, pb)
		}
	}
	clear(out[i*ch:])
	p.sounding = slices.DeleteFunc(p.sounding, func(pb *Playback) bool { return pb.last.Before(now) })
}

// cancel silences pb. A clip none of which has reached the device is only taken off the queue;
// otherwise the stream is aborted, which discards what the device holds at once, and started
// again, and every clip that was still sounding is silenced with the same cause.
func (p *PortAudio) cancel(pb *Playback, cause error) {
	p.mu.Lock()
	pb.silenced(cause)
	if pb.pos == 0 {
		p.queue = slices.DeleteFunc(p.queue, func(q *Playback) bool { return q == pb })
		p.mu.Unlock()
		return
	}
	now := time.Now()
	if pb.pos == len(pb.samples) && pb.last.Before(now) {
		p.mu.Unlock() // heard to its end already
		return
	}
	for _, q := range p.sounding {
		q.silenced(cause)
	}
	p.sounding = nil
	p.queue = slices.DeleteFunc(p.queue, func(q *Playback) bool {
		if q.pos > 0 {
			q.silenced(cause) // partly handed over: the abort cuts it
			return true
		}
		return q == pb
	})
	p.muted = true
	p.mu.Unlock()

	// The callback must not hold p.mu while Abort waits for it to return: it writes silence now.
	// A stream whose device stopped taking audio is closed, not started again: starting it can
	// block for good when the device is gone (an unloaded PulseAudio sink), and the next Queue
	// opens a new one, which fails at once while the device is gone.
	stalled := errors.Is(cause, errStalled)
	p.ctl.Lock()
	if p.stream != nil && !p.closed {
		err := p.stream.Abort()
		if err == nil && !stalled {
			err = p.stream.Start()
		}
		if err != nil || stalled { // reopened by the next Queue; whatever was queued is reported stalled
			_ = p.stream.Close() // it failed already; this only frees it
			p.stream = nil
		}
	}
	p.ctl.Unlock()
	p.mu.Lock()
	p.muted = false
	p.mu.Unlock()
}

// scale multiplies a sample by volume, clipping at the int16 range.
func scale(s int16, volume float32) int16 {
	if volume == 1 {
		return s
	}
	v := float32(s) * volume
	return int16(max(min(v, 32767), -32768))
}
