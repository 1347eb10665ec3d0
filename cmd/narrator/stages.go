package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	_ "github.com/narrator-dev/narrator/inference/mlx"    // registers --backend mlx
	_ "github.com/narrator-dev/narrator/inference/openai" // registers --backend openai
	"github.com/narrator-dev/narrator/internal/runner"
	"github.com/narrator-dev/narrator/speech"
)

// env is what every stage is built with.
type env struct {
	ctx      context.Context
	bus      *bus.Bus
	counters *bus.Counters
	log      *slog.Logger
	stdout   io.Writer
	stderr   io.Writer
	json     bool // stdout carries only JSON events
	// transcript prints one line per thing heard on stdout, and nothing else there (--transcript).
	transcript bool
	// spoken collects what the stages chose, for the spoken start-up summary.
	spoken *spoken
}

// captureOptions, the flags of the capture stage, are in captureflags.go.

// inferOptions are the inference stage's part: its flags are inference.Flags.
type inferOptions struct {
	inference.Flags
}

func (o *inferOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *inferOptions) validate(*common) error { return o.Validate() }

func (o *inferOptions) build(e env) ([]stage, error) {
	d, err := inference.Open(e.ctx, o.Options(e.counters, e.log))
	if err != nil {
		return nil, err
	}
	e.chosenDescriber(o.Backend, d.Info())
	c, err := e.bus.Connect("inference")
	if err != nil {
		return nil, err
	}
	i, err := inference.New(c, o.Config(d, e.counters, e.log))
	if err != nil {
		return nil, err
	}
	svc, err := inference.AddService(c, d.Info(), e.counters)
	if err != nil {
		return nil, err
	}
	return []stage{i, stageFunc(func(ctx context.Context) error {
		<-ctx.Done()
		return svc.Stop()
	})}, nil
}

// narrateOptions, the flags of the narration stage, are in narrateflags.go.

// speakOptions are the flags of the speech stage.
type speakOptions struct {
	speech, voice, device string
	rate                  int
	volume                float64
	earcons               bool
	announce              announceOptions
	latency               time.Duration
}

func (o *speakOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.speech, "speech", "auto", "how utterances are said: auto (PortAudio with the best voice, else say, else text), portaudio, say (macOS), text (print them), none")
	fs.StringVar(&o.voice, "voice", "", "voice: an espeak-ng voice (en-us), a macOS voice (Samantha) or a Piper model file (.onnx selects Piper); empty: the synthesizer's default")
	fs.IntVar(&o.rate, "rate", speech.DefaultRate, "speaking rate in words per minute")
	fs.StringVar(&o.device, "audio-device", "", "output device (`DEVICE`): a name 'narrator devices' lists (a PortAudio device or a PulseAudio sink, virtual ones included), or say's -a device; empty: the system output")
	fs.DurationVar(&o.latency, "audio-latency", speech.DefaultOutputLatency, "output latency PortAudio asks for: raise it if the audio crackles on a busy machine")
	fs.Float64Var(&o.volume, "volume", 1, "output volume for PortAudio, above 0 up to 1 (up to 2 amplifies)")
	fs.BoolVar(&o.earcons, "earcons", true, "play short tones for new scene, thinking, camera lost, model down and paused (PortAudio only)")
	o.announce.register(fs)
}

func (o *speakOptions) validate(*common) error {
	if o.rate < 80 || o.rate > 450 {
		return fmt.Errorf("--rate %d: use 80-450 words per minute", o.rate)
	}
	if o.latency < time.Millisecond || o.latency > 2*time.Second {
		return fmt.Errorf("--audio-latency %s: use 1ms-2s", o.latency)
	}
	if !(o.volume > 0 && o.volume <= 2) { // also refuses NaN
		return fmt.Errorf("--volume %g: use above 0 up to 1 (up to 2 amplifies); for silence use --speech none", o.volume)
	}
	if err := o.announce.validate(); err != nil {
		return err
	}
	return oneOf("speech", o.speech, speech.Modes...)
}

func (o *speakOptions) build(e env) ([]stage, error) {
	speaker, err := pickSpeaker(o, e)
	if err != nil {
		return nil, err
	}
	a, err := o.announce.announcer(e)
	if err != nil {
		if speaker != nil {
			_ = speaker.Close()
		}
		return nil, err
	}
	if speaker == nil {
		return []stage{a}, nil
	}
	s, err := withConn(e.bus, "speech", func(c *bus.Conn) (*speech.Stage, error) {
		return speech.New(c, speech.Config{Speaker: speaker, Earcons: o.earcons, Counters: e.counters, Logger: e.log, Announce: o.announce.parsed()})
	})
	if err != nil {
		_ = speaker.Close()
		return nil, err
	}
	return []stage{a, s}, nil
}

// pickSpeaker chooses the speaker for --speech, checks its output and says why; nil means
// --speech none.
func pickSpeaker(o *speakOptions, e env) (speech.Speaker, error) {
	out := e.stdout
	if e.json {
		out = e.stderr // stdout carries only JSON events
	}
	var chosen speech.Choice
	defer func() { e.chosenSpeech(chosen) }()
	return speech.Open(e.ctx, speech.Options{
		Mode: o.speech, Voice: o.voice, Rate: o.rate, Device: o.device, Volume: o.volume, Latency: o.latency,
		Earcons: o.earcons, Text: out, FallbackText: fallbackText(e, out), Logger: e.log, Chosen: &chosen,
	})
}

// stage is anything that runs until its context ends.
type stage = runner.Stage

// stageFunc adapts a function to stage.
type stageFunc = runner.Func

// withConn gives a stage its own bus connection; the connection is closed when the bus is.
func withConn[S any](b *bus.Bus, name string, newStage func(*bus.Conn) (S, error)) (S, error) {
	c, err := b.Connect(name)
	if err != nil {
		var zero S
		return zero, err
	}
	return newStage(c)
}

// statsStage publishes the process's counters when they change and answers stats requests.
func statsStage(e env, process string) (stage, error) {
	c, err := e.bus.Connect("stats")
	if err != nil {
		return nil, err
	}
	return stageFunc(func(ctx context.Context) error {
		return bus.ReportStats(ctx, c, bus.StatsConfig{Process: process, Counters: e.counters, Logger: e.log})
	}), nil
}

// historyOptions are the flags of the history the narrator keeps (JetStream).
type historyOptions struct{ bus.HistoryFlags }

func (o *historyOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *historyOptions) validate(c *common) error { return o.Validate(&c.bus) }

func (o *historyOptions) build(e env) ([]stage, error) {
	r, err := o.Recorder(e.bus, e.counters, e.log)
	if r == nil || err != nil {
		return nil, err
	}
	return []stage{r}, nil
}
