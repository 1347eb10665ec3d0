package speech

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/narrator-dev/narrator/internal/backoff"
)

// Failover is a speaker over an ordered list of outputs (PortAudio, then macOS say where there
// is one, then printed text): it speaks on the first that works. When the speech stage reports
// that the output in use failed while running (a PortAudio stream error, a device that stopped
// taking audio, a synthesizer or say process that died), it moves to the next output, and the
// stage says the utterance again there. Meanwhile Recover probes the first output with
// backoff and moves back to it as soon as it plays again.
type Failover struct {
	outputs []Speaker

	mu      sync.Mutex
	current int
	gen     int // counts the switches; a failure reported for an older generation moves nothing
	down    chan struct{}
	probes  atomic.Int64
}

// Prober is an output that can check, without being heard, whether it plays again.
type Prober interface {
	// Probe plays a moment of silence, reopening the device, and reports whether that worked.
	Probe(ctx context.Context) error
}

// Switch is a move of a Failover from one output to another.
type Switch struct {
	From, To string // the outputs' names
	Back     bool   // back to the first output
	Text     bool   // To prints instead of speaking
	Err      error  // why From was left, when it failed
}

// NewFailover returns a speaker that speaks on outputs[0] and falls back along the list.
func NewFailover(outputs ...Speaker) *Failover {
	return &Failover{outputs: outputs, down: make(chan struct{}, 1)}
}

func (f *Failover) now() (Speaker, int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.outputs[f.current], f.gen
}

// Name is the name of the output in use.
func (f *Failover) Name() string {
	s, _ := f.now()
	return s.Name()
}

// Generation identifies the output in use: it changes at every switch.
func (f *Failover) Generation() int {
	_, gen := f.now()
	return gen
}

// Prepare prepares text on the output in use.
func (f *Failover) Prepare(ctx context.Context, text string) (Clip, error) {
	s, _ := f.now()
	return s.Prepare(ctx, text)
}

// EarconClip plays e on the output in use, or nothing when that output has no earcons.
func (f *Failover) EarconClip(e Earcon) Clip {
	s, _ := f.now()
	if es, ok := s.(EarconSpeaker); ok {
		return es.EarconClip(e)
	}
	return clipFunc(func(context.Context) error { return nil })
}

// Failed reports that output generation gen failed with err. When gen is the one in use and
// there is another output, it moves to the next and returns the switch; otherwise (it moved
// already, or this was the last output) it returns false.
func (f *Failover) Failed(gen int, err error) (Switch, bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if gen != f.gen || f.current+1 >= len(f.outputs) {
		return Switch{}, false
	}
	from := f.outputs[f.current]
	f.current++
	f.gen++
	to := f.outputs[f.current]
	_, text := to.(*Text)
	select {
	case f.down <- struct{}{}:
	default:
	}
	return Switch{From: from.Name(), To: to.Name(), Text: text, Err: err}, true
}

// Probes counts the probes of the first output so far.
func (f *Failover) Probes() int64 { return f.probes.Load() }

// Outputs is how many outputs there are to fall back along.
func (f *Failover) Outputs() int { return len(f.outputs) }

// Recover waits, whenever the first output is not in use, with backoff from first up to limit,
// and probes it; when it plays again Recover moves back to it and calls back. It returns when
// ctx ends. A first output that cannot be probed is never returned to.
func (f *Failover) Recover(ctx context.Context, first, limit time.Duration, back func(Switch)) {
	p, ok := f.outputs[0].(Prober)
	if !ok {
		return
	}
	// An output that fails again soon after it came back (seen after PulseAudio dropped a
	// stream: the reopened ones stalled again within seconds) is probed later each time, so the
	// flapping, and its announcements, slow down to one every limit.
	var lastBack time.Time
	n := 0
	for {
		select {
		case <-ctx.Done():
			return
		case <-f.down:
		}
		if time.Since(lastBack) > limit {
			n = 0
		}
		for ; ; n++ {
			t := time.NewTimer(backoff.Nth(first, limit, n))
			select {
			case <-ctx.Done():
				t.Stop()
				return
			case <-t.C:
			}
			f.probes.Add(1)
			if err := p.Probe(ctx); err != nil {
				continue
			}
			f.mu.Lock()
			from := f.outputs[f.current]
			f.current = 0
			f.gen++
			f.mu.Unlock()
			back(Switch{From: from.Name(), To: f.outputs[0].Name(), Back: true})
			lastBack = time.Now()
			n++
			break
		}
	}
}

// Close closes every output.
func (f *Failover) Close() error {
	var errs []error
	for _, s := range f.outputs {
		errs = append(errs, s.Close())
	}
	return errors.Join(errs...)
}

// The rate and volume are those of the first output, kept while another one stands in.

// Rate is the first output's rate.
func (f *Failover) Rate() int {
	if t, ok := f.outputs[0].(Tunable); ok {
		return t.Rate()
	}
	return 0
}

// SetRate sets the first output's rate.
func (f *Failover) SetRate(wpm int) error {
	if t, ok := f.outputs[0].(Tunable); ok {
		return t.SetRate(wpm)
	}
	return fmt.Errorf("%s: %w", f.outputs[0].Name(), ErrNotTunable)
}

// Volume is the first output's volume.
func (f *Failover) Volume() int {
	if t, ok := f.outputs[0].(Tunable); ok {
		return t.Volume()
	}
	return 0
}

// SetVolume sets the first output's volume.
func (f *Failover) SetVolume(percent int) error {
	if t, ok := f.outputs[0].(Tunable); ok {
		return t.SetVolume(percent)
	}
	return fmt.Errorf("%s: %w", f.outputs[0].Name(), ErrNotTunable)
}
