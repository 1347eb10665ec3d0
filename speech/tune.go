package speech

import (
	"errors"
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"

	"github.com/narrator-dev/narrator/bus"
)

// Tunable is a speaker whose rate and volume can change while it runs.
type Tunable interface {
	// Rate is the speaking rate in words per minute.
	Rate() int
	// SetRate changes the rate of what is prepared from now on.
	SetRate(wpm int) error
	// Volume is the output volume in percent (100: as recorded).
	Volume() int
	// SetVolume changes the volume of what plays from now on.
	SetVolume(percent int) error
}

// ErrNotTunable is the reply to a settings request when the speaker cannot change its rate or
// volume (printed speech, or macOS say's volume).
var ErrNotTunable = errors.New("this speech output cannot change its rate or volume")

// tuning is the rate and volume an Audio speaker applies on top of its synthesizer and player.
type tuning struct {
	mu     sync.Mutex
	synth  Synthesizer // nil: Audio.Synth as configured
	rate   int         // 0: the synthesizer's configured rate
	volume int         // percent; 0: Audio.Volume
}

// Rate is the rate the synthesizer speaks at.
func (a *Audio) Rate() int {
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	if a.tune.rate > 0 {
		return a.tune.rate
	}
	return synthRate(a.Synth)
}

// SetRate makes the synthesizer speak at wpm from the next utterance prepared.
func (a *Audio) SetRate(wpm int) error {
	s, err := withRate(a.Synth, wpm)
	if err != nil {
		return err
	}
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	a.tune.synth, a.tune.rate = s, wpm
	return nil
}

// Volume is the output volume in percent.
func (a *Audio) Volume() int {
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	return a.volumeLocked()
}

func (a *Audio) volumeLocked() int {
	if a.tune.volume > 0 {
		return a.tune.volume
	}
	return int(math.Round(a.baseVolume() * 100))
}

func (a *Audio) baseVolume() float64 {
	if a.BaseVolume <= 0 {
		return 1
	}
	return a.BaseVolume
}

// SetVolume sets the output volume, in percent, of every clip played from now on.
func (a *Audio) SetVolume(percent int) error {
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	a.tune.volume = percent
	return nil
}

// synth is the synthesizer to use now.
func (a *Audio) synth() Synthesizer {
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	if a.tune.synth != nil {
		return a.tune.synth
	}
	return a.Synth
}

// gain is the factor applied on top of the player's own volume.
func (a *Audio) gain() float64 {
	a.tune.mu.Lock()
	defer a.tune.mu.Unlock()
	return float64(a.volumeLocked()) / 100 / a.baseVolume()
}

// amplify returns p scaled by g, clipping at the int16 range; p itself is not changed.
func amplify(p PCM, g float64) PCM {
	if g == 1 {
		return p
	}
	out := PCM{Rate: p.Rate, Samples: make([]int16, len(p.Samples))}
	for i, s := range p.Samples {
		out.Samples[i] = int16(max(min(float64(s)*g, 32767), -32768))
	}
	return out
}

// synthRate is a synthesizer's configured rate.
func synthRate(s Synthesizer) int {
	r := 0
	switch s := s.(type) {
	case *ESpeak:
		r = s.Rate
	case *SayFile:
		r = s.Rate
	case *Piper:
		r = s.Rate
	}
	if r <= 0 {
		return DefaultRate
	}
	return r
}

// withRate is a copy of s that speaks at wpm.
func withRate(s Synthesizer, wpm int) (Synthesizer, error) {
	switch s := s.(type) {
	case *ESpeak:
		c := *s
		c.Rate = wpm
		return &c, nil
	case *SayFile:
		c := *s
		c.Rate = wpm
		return &c, nil
	case *Piper:
		c := *s
		c.Rate = wpm
		return &c, nil
	}
	return nil, fmt.Errorf("%s: %w", s.Name(), ErrNotTunable)
}

// adjust applies one settings value to the current one: up and down step by step, a number
// is taken as is; the result is clamped to [lo, hi].
func adjust(arg string, cur, step, lo, hi int) (int, error) {
	var v int
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "up", "+", "faster", "louder":
		v = cur + step
	case "down", "-", "slower", "quieter":
		v = cur - step
	default:
		n, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(arg), "%"))
		if err != nil {
			return cur, fmt.Errorf("%q: use up, down or a number from %d to %d", arg, lo, hi)
		}
		if n < lo || n > hi {
			return cur, fmt.Errorf("%d: use a number from %d to %d", n, lo, hi)
		}
		v = n
	}
	return max(lo, min(hi, v)), nil
}

// applySettings carries out a settings request on t.
func applySettings(t Tunable, req bus.SpeechSettings) (bus.SpeechSettingsReply, error) {
	if req.Rate != "" {
		r, err := adjust(req.Rate, t.Rate(), bus.RateStep, bus.MinRate, bus.MaxRate)
		if err != nil {
			return bus.SpeechSettingsReply{}, fmt.Errorf("rate %w", err)
		}
		if err := t.SetRate(r); err != nil {
			return bus.SpeechSettingsReply{}, err
		}
	}
	if req.Volume != "" {
		v, err := adjust(req.Volume, t.Volume(), bus.VolumeStep, bus.MinVolume, bus.MaxVolume)
		if err != nil {
			return bus.SpeechSettingsReply{}, fmt.Errorf("volume %w", err)
		}
		if err := t.SetVolume(v); err != nil {
			return bus.SpeechSettingsReply{}, err
		}
	}
	return bus.SpeechSettingsReply{OK: true, Rate: t.Rate(), Volume: t.Volume()}, nil
}
