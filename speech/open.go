package speech

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"runtime"
	"strings"
	"time"
)

// Modes of --speech.
const (
	ModeAuto      = "auto"      // PortAudio with the best synthesizer, else say, else text
	ModePortAudio = "portaudio" // a synthesizer played through PortAudio
	ModeSay       = "say"       // macOS say speaks on its own
	ModeText      = "text"      // print utterances
	ModeNone      = "none"      // say nothing; speech events are still published
)

// Modes lists the --speech values.
var Modes = []string{ModeAuto, ModePortAudio, ModeSay, ModeText, ModeNone}

// Options choose and configure a speaker (the --speech flags).
type Options struct {
	// Mode is one of Modes. Default: auto.
	Mode string
	// Voice is the synthesizer's voice: an espeak-ng voice (en-us), a macOS voice (Samantha) or a
	// Piper model file (.onnx, which selects Piper). Default: the synthesizer's own.
	Voice string
	// Rate is the speaking rate in words per minute. Default: DefaultRate.
	Rate int
	// Device is the output device: a PortAudio device name (or part of one) or, for say, say's
	// -a device. Default: the system output.
	Device string
	// Volume scales PortAudio output, 0-1. Default: 1 (a zero value means 1; use a small
	// positive value for near silence).
	Volume float64
	// Latency is the output latency PortAudio asks for. Default: DefaultOutputLatency.
	Latency time.Duration
	// Earcons turns earcons on. Default: false.
	Earcons bool
	// Text is where text mode prints. Default: io.Discard.
	Text io.Writer
	// FallbackText is where speech is printed when the audio output fails while running (see
	// Failover); io.Discard when something else prints what is said (--transcript). Default:
	// Text.
	FallbackText io.Writer
	// CheckTimeout bounds the start-up health check. Default: 10s.
	CheckTimeout time.Duration
	// Logger receives the announcement of what was chosen and why. Default: slog.Default().
	Logger *slog.Logger
	// Chosen, when set, is filled with what Open chose and why it fell back, for the spoken
	// start-up announcements.
	Chosen *Choice
}

// Choice is what Open chose: the speaker's mode (ModePortAudio, ModeSay, ModeText or ModeNone),
// its synthesizer and voice, and, when the output asked for did not work, why in one word.
type Choice struct {
	Mode        string
	Synthesizer string // "espeak-ng", "piper", "say"; empty for text and none
	Voice       string
	// Fallback is FallbackDevice, FallbackVoice or FallbackSynth when Open fell back; empty when not.
	Fallback string
}

// Why Open fell back.
const (
	FallbackDevice = "device" // the audio device was not found, or failed its start-up check
	FallbackVoice  = "voice"  // the voice asked for could not be loaded
	FallbackSynth  = "synth"  // no synthesizer is installed
)

// fallbackError is an output that failed, with why in one word.
type fallbackError struct {
	why string
	err error
}

func (e fallbackError) Error() string { return e.err.Error() }
func (e fallbackError) Unwrap() error { return e.err }

func fallbackOf(err error) string {
	var f fallbackError
	if errors.As(err, &f) {
		return f.why
	}
	return FallbackDevice
}

// Open chooses the speaker for o.Mode, checks that its output works and announces what it
// chose and why on o.Logger. When the chosen output fails its check it falls back (PortAudio,
// then say, then text) and says why. It returns nil for ModeNone.
func Open(ctx context.Context, o Options) (Speaker, error) {
	if o.Mode == "" {
		o.Mode = ModeAuto
	}
	if o.Rate <= 0 {
		o.Rate = DefaultRate
	}
	if o.Volume == 0 {
		o.Volume = 1
	}
	if o.Volume < 0 || o.Volume > 2 {
		return nil, fmt.Errorf("volume %g: use 0-1 (up to 2 amplifies)", o.Volume)
	}
	if o.Text == nil {
		o.Text = io.Discard
	}
	if o.FallbackText == nil {
		o.FallbackText = o.Text
	}
	if o.CheckTimeout <= 0 {
		o.CheckTimeout = 10 * time.Second
	}
	log := o.Logger
	if log == nil {
		log = slog.Default()
	}
	chosen := o.Chosen
	if chosen == nil {
		chosen = &Choice{}
	}
	*chosen = Choice{Mode: o.Mode, Voice: o.Voice}
	text := func(err error) Speaker {
		log.Warn("speech: printing what would be said instead", "why", err)
		*chosen = Choice{Mode: ModeText, Voice: o.Voice, Fallback: fallbackOf(err)}
		return NewText(o.Text)
	}
	switch o.Mode {
	case ModeNone:
		log.Info("speech: none; utterances are still published on the bus")
		return nil, nil
	case ModeText:
		log.Info("speech: text; printing what would be said")
		return NewText(o.Text), nil
	case ModeSay:
		s, err := NewSay(o.Voice, o.Rate, o.Device)
		if err != nil {
			return text(fallbackError{FallbackSynth, err}), nil
		}
		chosen.Synthesizer = "say"
		log.Info("speech: macOS say", "voice", orDefault(o.Voice), "rate", o.Rate, "device", orDefault(o.Device))
		return s, nil
	case ModePortAudio:
		a, err := openAudio(ctx, o)
		if err != nil {
			if derr := (deviceError{}); o.Device != "" && errors.As(err, &derr) {
				return nil, deviceFailed(ctx, o, log, err)
			}
			return text(err), nil
		}
		logChoice(log, a, o)
		*chosen = Choice{Mode: ModePortAudio, Synthesizer: a.Synth.Name(), Voice: o.Voice}
		return withFailover(a, o), nil
	case ModeAuto:
		a, err := openAudio(ctx, o)
		if err == nil {
			logChoice(log, a, o)
			*chosen = Choice{Mode: ModePortAudio, Synthesizer: a.Synth.Name(), Voice: o.Voice}
			return withFailover(a, o), nil
		}
		if derr := (deviceError{}); o.Device != "" && errors.As(err, &derr) {
			return nil, deviceFailed(ctx, o, log, err)
		}
		if s, serr := NewSay(o.Voice, o.Rate, o.Device); serr == nil {
			log.Warn("speech: using macOS say instead", "why", err, "voice", orDefault(o.Voice), "rate", o.Rate)
			*chosen = Choice{Mode: ModeSay, Synthesizer: "say", Voice: o.Voice, Fallback: fallbackOf(err)}
			return s, nil
		}
		return text(err), nil
	}
	return nil, fmt.Errorf("speech %q: use one of %v", o.Mode, Modes)
}

// withFailover puts the outputs to fall back on while running behind a: macOS say where it is
// installed, then printed text.
func withFailover(a *Audio, o Options) *Failover {
	outputs := []Speaker{a}
	if s, err := NewSay(o.Voice, o.Rate, ""); err == nil {
		outputs = append(outputs, s)
	}
	return NewFailover(append(outputs, NewText(o.FallbackText))...)
}

// openAudio opens PortAudio with the best synthesizer and checks both.
func openAudio(ctx context.Context, o Options) (*Audio, error) {
	synth, err := bestSynth(o.Voice, o.Rate)
	if err != nil {
		why := FallbackSynth
		if o.Voice != "" {
			why = FallbackVoice
		}
		return nil, fallbackError{why, err}
	}
	player, err := OpenPortAudio(o.Device, o.Volume)
	if err != nil {
		return nil, fallbackError{FallbackDevice, deviceError{err}}
	}
	player.SetLatency(o.Latency)
	a := &Audio{Synth: synth, Player: player, Earcons: o.Earcons, BaseVolume: o.Volume}
	cctx, cancel := context.WithTimeout(ctx, o.CheckTimeout)
	defer cancel()
	if err := a.Check(cctx); err != nil {
		err = fmt.Errorf("%s failed its start-up check: %w", a.Player.Name(), err)
		if cerr := player.Close(); cerr != nil {
			err = errors.Join(err, cerr)
		}
		return nil, fallbackError{FallbackDevice, err}
	}
	return a, nil
}

// deviceError is an output device that cannot be opened or played on.
type deviceError struct{ err error }

func (e deviceError) Error() string { return e.err.Error() }
func (e deviceError) Unwrap() error { return e.err }

// deviceFailed is what happens when the output the user named cannot be used: an error that
// names the outputs there are, after an earcon and a spoken message on the default output
// when that works, so a listener who is not watching the terminal knows too. It never falls
// back to printing silently.
func deviceFailed(ctx context.Context, o Options, log *slog.Logger, cause error) error {
	err := fmt.Errorf("audio device %q cannot be used: %w", o.Device, cause)
	if !strings.Contains(cause.Error(), "outputs (`narrator devices`)") {
		if devs, lerr := OutputDevices(); lerr == nil {
			err = fmt.Errorf("%w; outputs (`narrator devices`): %s", err, deviceNames(devs))
		}
	}
	synth, serr := bestSynth(o.Voice, o.Rate)
	if serr != nil {
		return err
	}
	p, perr := OpenPortAudio("", o.Volume)
	if perr != nil {
		return err
	}
	defer func() {
		if cerr := p.Close(); cerr != nil {
			log.Debug("speech: close the default output", "err", cerr)
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, o.CheckTimeout)
	defer cancel()
	words, serr := synth.Synthesize(cctx, "Narrator cannot play on the audio device "+o.Device+". Run narrator devices to see the outputs.")
	if serr != nil {
		return err
	}
	perr = p.Play(cctx, EarconPCM(EarconAudioError, words.Rate))
	if perr == nil {
		perr = p.Play(cctx, words)
	}
	if perr != nil {
		log.Warn("speech: could not say on the default output that the audio device cannot be used", "device", o.Device, "output", p.Name(), "err", perr)
	} else {
		log.Info("speech: said on the default output that the audio device cannot be used", "device", o.Device, "output", p.Name())
	}
	return err
}

// bestSynth picks Piper when the voice is a Piper model, else say -o on macOS, else espeak-ng.
func bestSynth(voice string, rate int) (Synthesizer, error) {
	if IsPiperModel(voice) {
		return NewPiper(voice, rate)
	}
	var errs []error
	if runtime.GOOS == "darwin" {
		s, err := NewSayFile(voice, rate)
		if err == nil {
			return s, nil
		}
		errs = append(errs, err)
	}
	e, err := NewESpeak(voice, rate)
	if err == nil {
		return e, nil
	}
	return nil, errors.Join(append(errs, err)...)
}

func logChoice(log *slog.Logger, a *Audio, o Options) {
	log.Info("speech: output checked", "player", a.Player.Name(), "synth", a.Synth.Name(),
		"voice", orDefault(o.Voice), "rate", o.Rate, "volume", o.Volume, "earcons", o.Earcons)
}

func orDefault(s string) string {
	if s == "" {
		return "default"
	}
	return s
}
