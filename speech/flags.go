package speech

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/cliflag"
)

// DefaultVolume is --volume's default: the output as synthesized.
const DefaultVolume = 1.0

// Flags are the speech stage's command-line options: how utterances are said and where.
type Flags struct {
	Mode, Voice, Device string
	Rate                int
	Volume              float64
	Earcons             bool
	Latency             time.Duration
}

// Register adds the speech flags to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Mode, "speech", ModeAuto, "how utterances are said: auto (PortAudio with the best voice, else say, else text), portaudio, say (macOS), text (print them), none")
	fs.StringVar(&f.Voice, "voice", "", "voice: an espeak-ng voice (en-us), a macOS voice (Samantha) or a Piper model file (.onnx selects Piper); empty: the synthesizer's default")
	fs.IntVar(&f.Rate, "rate", DefaultRate, "speaking rate in words per minute")
	fs.StringVar(&f.Device, "audio-device", "", "output device (`DEVICE`): a name 'narrator devices' lists (a PortAudio device or a PulseAudio sink, virtual ones included), or say's -a device; empty: the system output")
	fs.DurationVar(&f.Latency, "audio-latency", DefaultOutputLatency, "output latency PortAudio asks for: raise it if the audio crackles on a busy machine")
	fs.Float64Var(&f.Volume, "volume", DefaultVolume, "output volume for PortAudio, above 0 up to 1 (up to 2 amplifies)")
	fs.BoolVar(&f.Earcons, "earcons", true, "play short tones for new scene, thinking, camera lost, model down and paused (PortAudio only)")
}

// Validate checks the flags before anything opens.
func (f *Flags) Validate() error {
	if f.Rate < 80 || f.Rate > 450 {
		return fmt.Errorf("--rate %d: use 80-450 words per minute", f.Rate)
	}
	if f.Latency < time.Millisecond || f.Latency > 2*time.Second {
		return fmt.Errorf("--audio-latency %s: use 1ms-2s", f.Latency)
	}
	if !(f.Volume > 0 && f.Volume <= 2) { // also refuses NaN
		return fmt.Errorf("--volume %g: use above 0 up to 1 (up to 2 amplifies); for silence use --speech none", f.Volume)
	}
	return cliflag.OneOf("speech", f.Mode, Modes...)
}

// Options are what Open is asked for: text mode prints on text, and speech is printed on
// fallback when the audio output fails while running; chosen is filled with what was chosen.
func (f *Flags) Options(text, fallback io.Writer, log *slog.Logger, chosen *Choice) Options {
	return Options{
		Mode: f.Mode, Voice: f.Voice, Rate: f.Rate, Device: f.Device, Volume: f.Volume, Latency: f.Latency,
		Earcons: f.Earcons, Text: text, FallbackText: fallback, Logger: log, Chosen: chosen,
	}
}

// Config is the stage's config for speaker.
func (f *Flags) Config(speaker Speaker, level announce.Level, counters *bus.Counters, log *slog.Logger) Config {
	return Config{Speaker: speaker, Earcons: f.Earcons, Counters: counters, Logger: log, Announce: level}
}

// Announced is the choice as the start-up summary says it.
func (c Choice) Announced() announce.Speech {
	mode := c.Mode
	if mode == ModePortAudio || mode == ModeAuto {
		mode = announce.SpeechAudio
	}
	return announce.Speech{Mode: mode, Synthesizer: strings.TrimPrefix(c.Synthesizer, "portaudio/"), Voice: c.Voice, Fallback: c.Fallback}
}
