package main

import (
	"time"

	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/inference/mlx"      // also registers --backend mlx
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

// inferOptions are the flags of the inference stage.
type inferOptions struct {
	backend   string
	model     string
	openaiURL string
	apiKey    string
	// workerPython is the mlx worker's interpreter (default: the environment `narrator setup` made).
	workerPython string
	// preempt cancels a generation for a scene that is gone when a new scene arrives.
	preempt bool
	// preemptDistance is the least hash distance of a change that preempts.
	preemptDistance int
	// work has --pull and --max-age (pullflags.go).
	work pullOptions
	// ocrLang is --ocr-lang for --backend ocr, settled by the reading part (readflags.go).
	ocrLang string
}

func (o *inferOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.backend, "backend", inference.DefaultBackend, "what describes frames (`BACKEND`): auto, mlx, openai, ocr (reads text instead, see --read-text), heuristic (auto: mlx on an Apple Silicon Mac after 'narrator setup', else a local model server if one answers, else the heuristic)")
	fs.StringVar(&o.model, "model", "", "model id (default: for mlx, "+mlx.DefaultModel+" or a local folder; for openai, the first vision model the server lists)")
	fs.StringVar(&o.workerPython, "worker-python", envOr("NARRATOR_WORKER_PYTHON", ""), "Python interpreter (`PATH`) for the mlx worker, with mlx-vlm installed (default: the environment 'narrator setup' made; env NARRATOR_WORKER_PYTHON)")
	fs.StringVar(&o.openaiURL, "openai-url", envOr("NARRATOR_OPENAI_URL", ""), "OpenAI-compatible server for --backend openai, e.g. http://127.0.0.1:11434 (env NARRATOR_OPENAI_URL)")
	o.apiKey = envOr("NARRATOR_OPENAI_API_KEY", "")
	fs.BoolVar(&o.preempt, "preempt", inference.DefaultPreempt, "when the scene changes while the model still describes the old one, cancel that and describe the new scene at once (answers to questions are never cancelled)")
	fs.IntVar(&o.preemptDistance, "preempt-distance", inference.DefaultPreemptDistance, "least perceptual-hash distance (of 64 bits) of a change that preempts; steady motion moves it by under 10, a cut by 25 or more")
	o.work.register(fs)
}

func (o *inferOptions) validate(*common) error {
	if o.preemptDistance < 1 || o.preemptDistance > 64 {
		return fmt.Errorf("--preempt-distance %d: use 1-64 (bits of the 64-bit hash)", o.preemptDistance)
	}
	return oneOf("backend", o.backend, inference.Backends...)
}

func (o *inferOptions) build(e env) ([]stage, error) {
	d, err := inference.Open(e.ctx, inference.Options{
		Backend: o.backend, Model: o.model, URL: o.openaiURL, APIKey: o.apiKey, Python: o.workerPython,
		Lang: o.ocrLang, Counters: e.counters, Logger: e.log,
	})
	if err != nil {
		return nil, err
	}
	e.chosenDescriber(o.backend, d.Info())
	c, err := e.bus.Connect("inference")
	if err != nil {
		return nil, err
	}
	i, err := inference.New(c, inference.Config{Describer: d, Counters: e.counters, Logger: e.log, Preempt: o.preempt, PreemptDistance: o.preemptDistance,
		Pull: o.work.pull, MaxAge: o.work.frameMaxAge()})
	if err != nil {
		return nil, err
	}
	info := d.Info()
	svc, err := c.AddService(bus.ServiceConfig{
		Name: "narrator-inference", Description: "describes camera frames from narrator.v1.frames.*",
		StatusSubject: bus.SubjectInferenceStatus, Counters: e.counters,
		Status: func() any {
			return map[string]any{"backend": info.Backend, "model": info.Model, "is_model": info.IsModel, "counters": e.counters.Snapshot()}
		},
	})
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
