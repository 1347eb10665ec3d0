package speech

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// Synthesizer turns text into audio.
type Synthesizer interface {
	// Synthesize returns text as audio. Ending ctx kills the synthesizer's process.
	Synthesize(ctx context.Context, text string) (PCM, error)
	// Name identifies the synthesizer ("espeak-ng", "say", "piper").
	Name() string
}

// DefaultRate is the speaking rate, in words per minute, when none is given.
const DefaultRate = 175

// ESpeak synthesizes with espeak-ng (`espeak-ng --stdout`): 22.05 kHz mono.
type ESpeak struct {
	// Binary is the program to run. Default: espeak-ng.
	Binary string
	// Voice is an espeak-ng voice name such as "en-us" (see `espeak-ng --voices`). Default: en-us.
	Voice string
	// Rate is the speaking rate in words per minute, 80-450. Default: DefaultRate.
	Rate int
}

// NewESpeak returns an espeak-ng synthesizer after checking that espeak-ng is installed.
func NewESpeak(voice string, rate int) (*ESpeak, error) {
	e := &ESpeak{Binary: "espeak-ng", Voice: voice, Rate: rate}
	if e.Voice == "" {
		e.Voice = "en-us"
	}
	if e.Rate <= 0 {
		e.Rate = DefaultRate
	}
	if _, err := lookPath(e.Binary); err != nil {
		return nil, fmt.Errorf("espeak-ng: %w; install it (apt-get install espeak-ng, brew install espeak-ng)", err)
	}
	if err := e.checkVoice(); err != nil {
		return nil, err
	}
	return e, nil
}

// checkVoice makes sure espeak-ng knows the voice: it would otherwise speak with its default
// voice without a word. Variants ("en-us+f3") are checked by their base voice.
func (e *ESpeak) checkVoice() error {
	out, err := run(context.Background(), "", e.Binary, "--voices")
	if err != nil {
		return fmt.Errorf("espeak-ng: list voices: %w", err)
	}
	base, _, _ := strings.Cut(e.Voice, "+")
	for line := range strings.Lines(string(out)) {
		// Pty Language Age/Gender VoiceName File Other-languages
		f := strings.Fields(line)
		if len(f) >= 5 && (strings.EqualFold(f[1], base) || strings.EqualFold(f[3], base) || strings.EqualFold(f[4], base)) {
			return nil
		}
	}
	return fmt.Errorf("espeak-ng has no voice %q; `espeak-ng --voices` lists them", e.Voice)
}

// Name is "espeak-ng".
func (e *ESpeak) Name() string { return "espeak-ng" }

// Synthesize runs espeak-ng with text on its standard input.
func (e *ESpeak) Synthesize(ctx context.Context, text string) (PCM, error) {
	rate := min(max(e.Rate, 80), 450)
	out, err := run(ctx, text, e.Binary, "--stdout", "-v", e.Voice, "-s", strconv.Itoa(rate))
	if err != nil {
		return PCM{}, err
	}
	p, err := ParseWAV(out)
	if err != nil {
		return PCM{}, fmt.Errorf("espeak-ng output: %w", err)
	}
	return p, nil
}

// SayFile synthesizes with macOS `say -o FILE --data-format=LEI16@22050` and plays the result
// itself, so it can go to any output device and be interrupted like any other audio.
type SayFile struct {
	// Binary is the program to run. Default: say.
	Binary string
	// Voice is a macOS voice name such as "Samantha" (see `say -v '?'`). Default: the system voice.
	Voice string
	// Rate is the speaking rate in words per minute. Default: the system rate.
	Rate int
	// TempDir is where the audio files are written. Default: os.TempDir().
	TempDir string
}

// NewSayFile returns a `say` synthesizer after checking that say is installed.
func NewSayFile(voice string, rate int) (*SayFile, error) {
	if _, err := lookPath("say"); err != nil {
		return nil, fmt.Errorf("say: %w (it comes with macOS)", err)
	}
	return &SayFile{Binary: "say", Voice: voice, Rate: rate}, nil
}

// Name is "say".
func (s *SayFile) Name() string { return "say" }

// Synthesize runs say with text on its standard input, writing a WAV file it then reads.
func (s *SayFile) Synthesize(ctx context.Context, text string) (PCM, error) {
	f, err := os.CreateTemp(s.TempDir, "narrator-say-*.wav")
	if err != nil {
		return PCM{}, fmt.Errorf("say: temporary file: %w", err)
	}
	name := f.Name()
	_ = f.Close()
	defer func() { _ = os.Remove(name) }()
	args := append([]string{"-o", name, "--file-format=WAVE", "--data-format=LEI16@22050"}, sayVoiceArgs(s.Voice, s.Rate)...)
	if _, err := run(ctx, text, s.binary(), args...); err != nil {
		return PCM{}, err
	}
	data, err := os.ReadFile(name)
	if err != nil {
		return PCM{}, fmt.Errorf("say output: %w", err)
	}
	p, err := ParseWAV(data)
	if err != nil {
		return PCM{}, fmt.Errorf("say output: %w", err)
	}
	return p, nil
}

func (s *SayFile) binary() string {
	if s.Binary == "" {
		return "say"
	}
	return s.Binary
}

// sayVoiceArgs are say's voice and rate options; zero values leave the system's.
func sayVoiceArgs(voice string, rate int) []string {
	var args []string
	if voice != "" {
		args = append(args, "-v", voice)
	}
	if rate > 0 {
		args = append(args, "-r", strconv.Itoa(rate))
	}
	return args
}

// Piper synthesizes with the Piper neural TTS command (`piper --model VOICE.onnx --output_raw`).
type Piper struct {
	// Binary is the program to run. Default: piper.
	Binary string
	// Model is the path of the voice model (.onnx, with its .onnx.json beside it). Required.
	Model string
	// Rate is the speaking rate in words per minute, mapped to Piper's length scale
	// (DefaultRate/Rate). Default: the model's own pace.
	Rate int
	// SampleRate is the model's output rate, read from the model's .onnx.json. Default: 22050.
	SampleRate int
}

// NewPiper returns a Piper synthesizer for the voice model at model, after checking that piper is
// installed and the model exists.
func NewPiper(model string, rate int) (*Piper, error) {
	if _, err := lookPath("piper"); err != nil {
		return nil, fmt.Errorf("piper: %w", err)
	}
	if model == "" {
		return nil, errors.New("piper: no voice model; pass --voice PATH.onnx")
	}
	if _, err := os.Stat(model); err != nil {
		return nil, fmt.Errorf("piper voice model: %w", err)
	}
	p := &Piper{Binary: "piper", Model: model, Rate: rate, SampleRate: 22050}
	if cfg, err := os.ReadFile(model + ".json"); err == nil {
		var meta struct {
			Audio struct {
				SampleRate int `json:"sample_rate"`
			} `json:"audio"`
		}
		if json.Unmarshal(cfg, &meta) == nil && meta.Audio.SampleRate >= 1000 && meta.Audio.SampleRate <= maxRate {
			p.SampleRate = meta.Audio.SampleRate
		}
	}
	return p, nil
}

// IsPiperModel reports whether voice names a Piper voice model file.
func IsPiperModel(voice string) bool { return strings.EqualFold(filepath.Ext(voice), ".onnx") }

// Name is "piper".
func (p *Piper) Name() string { return "piper" }

// Synthesize runs piper with text on its standard input and reads raw samples from its output.
func (p *Piper) Synthesize(ctx context.Context, text string) (PCM, error) {
	args := []string{"--model", p.Model, "--output_raw"}
	if p.Rate > 0 {
		args = append(args, "--length_scale", strconv.FormatFloat(float64(DefaultRate)/float64(p.Rate), 'f', 3, 64))
	}
	bin := p.Binary
	if bin == "" {
		bin = "piper"
	}
	out, err := run(ctx, text, bin, args...)
	if err != nil {
		return PCM{}, err
	}
	rate := p.SampleRate
	if rate == 0 {
		rate = 22050
	}
	if len(out) < 2 {
		return PCM{}, errors.New("piper: no audio in its output")
	}
	return parseRaw(out, rate), nil
}
