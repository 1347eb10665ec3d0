// Package speech says utterances aloud (or prints them) and reports on the bus what it did with
// each: started, finished, interrupted or dropped.
//
// A Speaker prepares each utterance ahead of its turn (synthesis runs while the previous one
// plays) into a Clip, which plays until done or until its context ends: ending it silences the
// audio at once (the PortAudio stream is aborted, a `say` process group killed).
package speech

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// Speaker turns text into clips that can be played.
type Speaker interface {
	// Prepare does what can be done before the utterance's turn (synthesis). Ending ctx abandons it.
	Prepare(ctx context.Context, text string) (Clip, error)
	// Name identifies the speaker in speech events ("text", "portaudio/espeak-ng", "say").
	Name() string
	// Close releases the output.
	Close() error
}

// Clip is one prepared utterance or earcon.
type Clip interface {
	// Play says it, blocking until it has been said or ctx ends. Ending ctx silences it at once;
	// Play then returns context.Cause(ctx).
	Play(ctx context.Context) error
}

// EarconSpeaker is a speaker that can also play earcons.
type EarconSpeaker interface {
	Speaker
	// EarconClip returns a clip that plays e.
	EarconClip(e Earcon) Clip
}

// clipFunc adapts a function to Clip.
type clipFunc func(ctx context.Context) error

func (f clipFunc) Play(ctx context.Context) error { return f(ctx) }

// Text is the speaker for --speech text: it prints each utterance as a line.
type Text struct {
	mu sync.Mutex
	w  io.Writer
}

// NewText returns a speaker that writes to w.
func NewText(w io.Writer) *Text { return &Text{w: w} }

// Prepare returns a clip that writes text as one line.
func (t *Text) Prepare(_ context.Context, text string) (Clip, error) {
	return clipFunc(func(context.Context) error {
		t.mu.Lock()
		defer t.mu.Unlock()
		if _, err := fmt.Fprintf(t.w, "» %s\n", text); err != nil {
			return fmt.Errorf("print utterance: %w", err)
		}
		return nil
	}), nil
}

// Name is "text".
func (t *Text) Name() string { return "text" }

// Close does nothing.
func (t *Text) Close() error { return nil }

// Say is the speaker for --speech say: each utterance is one run of macOS `say`, which speaks
// it on its own output. Interrupting kills the process group. It plays no earcons.
type Say struct {
	// Binary is the program to run. Default: say.
	Binary string
	// Voice is a macOS voice name (`say -v '?'` lists them). Default: the system voice.
	Voice string
	// Rate is the speaking rate in words per minute. Default: the system rate.
	Rate int
	// Device is say's audio device, an id or a name prefix (`say -a '?'` lists them).
	// Default: the system output.
	Device string
}

// NewSay returns the plain `say` speaker after checking that say is installed.
func NewSay(voice string, rate int, device string) (*Say, error) {
	if _, err := lookPath("say"); err != nil {
		return nil, fmt.Errorf("say: %w (it comes with macOS)", err)
	}
	return &Say{Binary: "say", Voice: voice, Rate: rate, Device: device}, nil
}

// Prepare returns a clip that runs say; nothing is synthesized ahead.
func (s *Say) Prepare(_ context.Context, text string) (Clip, error) {
	return clipFunc(func(ctx context.Context) error {
		args := sayVoiceArgs(s.Voice, s.Rate)
		if s.Device != "" {
			args = append(args, "-a", s.Device)
		}
		bin := s.Binary
		if bin == "" {
			bin = "say"
		}
		_, err := run(ctx, text, bin, args...)
		return err
	}), nil
}

// Name is "say".
func (s *Say) Name() string { return "say" }

// Close does nothing: no process outlives its clip.
func (s *Say) Close() error { return nil }

// Player plays PCM audio on an output device.
type Player interface {
	// Play plays p, blocking until it has been heard or ctx ends; ending ctx silences it at once
	// and Play returns context.Cause(ctx).
	Play(ctx context.Context, p PCM) error
	// Name identifies the player and its device.
	Name() string
	// Close releases the device.
	Close() error
}

// Audio is a synthesizer feeding a player: the speaker for --speech portaudio.
type Audio struct {
	Synth  Synthesizer
	Player Player
	// Earcons turns on earcons; when off, EarconClip clips are silent no-ops.
	Earcons bool
	// BaseVolume is the volume Player applies (0-2), from which SetVolume works. Default: 1.
	BaseVolume float64

	tune  tuning // the rate and volume set while running (tune.go)
	once  sync.Once
	rate  int // the voice's sample rate, learnt by Check; earcons are made at it
	tones map[Earcon]PCM
}

// Name is "portaudio/" and the synthesizer's name.
func (a *Audio) Name() string { return "portaudio/" + a.Synth.Name() }

// Prepare synthesizes text.
func (a *Audio) Prepare(ctx context.Context, text string) (Clip, error) {
	synth := a.synth()
	p, err := synth.Synthesize(ctx, text)
	if err != nil {
		return nil, err
	}
	if len(p.Samples) == 0 {
		return nil, fmt.Errorf("%s produced no audio for %q", synth.Name(), text)
	}
	return a.pcmClip(p), nil
}

// pcmClip is a clip of p: one to queue on the stream when the player has one.
func (a *Audio) pcmClip(p PCM) Clip {
	if sp, ok := a.Player.(StreamPlayer); ok {
		return streamClip{sp: sp, p: p, gain: a.gain}
	}
	return clipFunc(func(ctx context.Context) error { return a.Player.Play(ctx, amplify(p, a.gain())) })
}

// voiceRate is the voice's sample rate once Check has run, else espeak-ng's.
func (a *Audio) voiceRate() int {
	if a.rate > 0 {
		return a.rate
	}
	return 22050
}

// EarconClip returns a clip that plays e, or does nothing when earcons are off.
func (a *Audio) EarconClip(e Earcon) Clip {
	if !a.Earcons {
		return clipFunc(func(context.Context) error { return nil })
	}
	a.once.Do(func() {
		a.tones = make(map[Earcon]PCM, len(Earcons))
		for _, e := range Earcons {
			a.tones[e] = EarconPCM(e, a.voiceRate())
		}
	})
	return a.pcmClip(a.tones[e])
}

// Check proves the output works before the first utterance: it synthesizes a word, which
// tells the voice's sample rate, and plays the ready earcon (a short silence when earcons are
// off) at that rate through the player, which opens its stream at that rate.
func (a *Audio) Check(ctx context.Context) error {
	p, err := a.Synth.Synthesize(ctx, "ready")
	if err != nil {
		return fmt.Errorf("synthesizer check: %w", err)
	}
	if len(p.Samples) == 0 {
		return errors.New("synthesizer check: no audio for a test word")
	}
	a.rate = p.Rate
	tone := Silence(60*time.Millisecond, p.Rate)
	if a.Earcons {
		tone = EarconPCM(EarconReady, p.Rate)
	}
	if err := a.Player.Play(ctx, tone); err != nil {
		if ctx.Err() == nil {
			err = deviceError{err}
		}
		return fmt.Errorf("output check: %w", err)
	}
	return nil
}

// Close closes the player.
func (a *Audio) Close() error { return a.Player.Close() }

// Probe checks, without being heard, that the output plays again after a failure: the
// synthesizer says a word (not played), the player's stream is opened afresh when it has one,
// and a moment of silence is played through it.
func (a *Audio) Probe(ctx context.Context) error {
	p, err := a.synth().Synthesize(ctx, "ready")
	if err != nil {
		return fmt.Errorf("synthesizer: %w", err)
	}
	if len(p.Samples) == 0 {
		return errors.New("synthesizer: no audio for a test word")
	}
	if r, ok := a.Player.(interface{ Reset() error }); ok {
		if err := r.Reset(); err != nil {
			return fmt.Errorf("reset %s: %w", a.Player.Name(), err)
		}
	}
	if err := a.Player.Play(ctx, Silence(60*time.Millisecond, p.Rate)); err != nil {
		return fmt.Errorf("%s: %w", a.Player.Name(), err)
	}
	return nil
}
