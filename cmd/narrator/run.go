package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/narrator"
	"github.com/narrator-dev/narrator/speech"
)

// runOptions are the flags of `narrator run`.
type runOptions struct {
	source, camera              string
	width, height               int
	fps                         float64
	threshold, maxEdge, quality int
	heartbeat                   time.Duration
	backend, speech             string
	busOptions
	duration time.Duration
	json     bool
	logLevel string
}

func runNarration(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("run", "Runs the whole pipeline in one process: capture, describe, narrate and speak, on an\nembedded NATS bus (or the one named by --nats). Ctrl-C stops it.", stderr)
	var o runOptions
	fs.StringVar(&o.source, "source", "auto", "where frames come from: "+capture.SourceForms+" (auto: the first camera, else the demo scene)")
	fs.StringVar(&o.camera, "camera-name", "cam0", "the camera's name on the bus (last token of its subjects)")
	fs.IntVar(&o.width, "width", 1280, "capture width asked of the camera")
	fs.IntVar(&o.height, "height", 720, "capture height asked of the camera")
	fs.Float64Var(&o.fps, "fps", 15, "capture frame rate asked of the camera")
	fs.IntVar(&o.threshold, "threshold", 10, "perceptual-hash distance (of 64 bits) that counts as a scene change")
	fs.DurationVar(&o.heartbeat, "heartbeat", 10*time.Second, "re-send an unchanged scene this often (0: never)")
	fs.IntVar(&o.maxEdge, "max-edge", 1024, "scale frames so their long edge is at most this many pixels")
	fs.IntVar(&o.quality, "quality", 80, "JPEG quality of published frames, 1-100")
	fs.StringVar(&o.backend, "backend", "auto", "what describes frames: auto, heuristic")
	fs.StringVar(&o.speech, "speech", "auto", "how utterances are said: auto, text (print them), none")
	o.busOptions.register(fs, true)
	fs.DurationVar(&o.duration, "duration", 0, "stop after this long (0: run until Ctrl-C)")
	fs.BoolVar(&o.json, "json", false, "print every bus event as one JSON line on stdout (logs stay on stderr)")
	fs.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("run takes no arguments, got %q", fs.Args())
	}
	if err := oneOf("backend", o.backend, "auto", "heuristic"); err != nil {
		return err
	}
	if err := oneOf("speech", o.speech, "auto", "text", "none"); err != nil {
		return err
	}
	log, err := newLogger(stderr, o.logLevel)
	if err != nil {
		return err
	}
	if o.duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.duration)
		defer cancel()
	}

	b, err := o.busOptions.open(ctx, log)
	if err != nil {
		return err
	}
	defer b.close()

	src, note, err := capture.Open(o.source, capture.SourceConfig{Width: o.width, Height: o.height, FPS: o.fps})
	if err != nil {
		return err
	}
	if note != "" {
		log.Info("source: " + note)
	}
	counters := bus.NewCounters()
	var stages []stage

	// Subscribers first, so nothing published at start is missed.
	if o.json {
		p, err := newPrinter(b, stdout, true, bus.AllEvents, log)
		if err != nil {
			src.Close()
			return err
		}
		stages = append(stages, p)
	}
	speaker, err := pickSpeaker(o.speech, o.json, stdout, stderr, log)
	if err == nil && speaker != nil {
		var s *speech.Stage
		s, err = withConn(b, "speech", func(c *bus.Conn) (*speech.Stage, error) {
			return speech.New(c, speech.Config{Speaker: speaker, Counters: counters, Logger: log})
		})
		stages = append(stages, s)
	}
	if err == nil {
		var n *narrator.Stage
		n, err = withConn(b, "narrator", func(c *bus.Conn) (*narrator.Stage, error) {
			return narrator.New(c, narrator.Config{Counters: counters, Logger: log})
		})
		stages = append(stages, n)
	}
	if err == nil {
		var i *inference.Stage
		i, err = withConn(b, "inference", func(c *bus.Conn) (*inference.Stage, error) {
			return inference.New(c, inference.Config{Describer: pickDescriber(o.backend, log), Counters: counters, Logger: log})
		})
		stages = append(stages, i)
	}
	if err == nil {
		var c *capture.Stage
		c, err = withConn(b, "capture", func(c *bus.Conn) (*capture.Stage, error) {
			return capture.New(c, capture.Config{
				Camera: o.camera, Source: src, MaxEdge: o.maxEdge, JPEGQuality: o.quality,
				Threshold: o.threshold, Heartbeat: o.heartbeat, Counters: counters, Logger: log,
			})
		})
		stages = append(stages, c)
	}
	if err != nil {
		src.Close()
		return err
	}
	stats, err := b.connect("stats")
	if err != nil {
		src.Close()
		return err
	}
	stages = append(stages, stageFunc(func(ctx context.Context) error {
		bus.ReportStats(ctx, stats, "narrator run", counters, time.Second, log)
		return nil
	}))
	return runStages(ctx, stages)
}

// pickDescriber chooses the describer for --backend and says why.
func pickDescriber(backend string, log *slog.Logger) inference.Describer {
	if backend == "auto" {
		why := "not on Apple Silicon"
		if runtime.GOOS == "darwin" && runtime.GOARCH == "arm64" {
			why = "no model backend is available in this build"
		}
		log.Info("backend: " + why + ", using the heuristic describer (measures colour, brightness and change; not a model)")
	}
	return inference.NewHeuristic()
}

// pickSpeaker chooses the speaker for --speech and says why; nil means --speech none.
func pickSpeaker(mode string, jsonOut bool, stdout, stderr io.Writer, log *slog.Logger) (speech.Speaker, error) {
	out := stdout
	if jsonOut {
		out = stderr // stdout carries only JSON events
	}
	switch mode {
	case "none":
		log.Info("speech: none; utterances are still published on the bus")
		return nil, nil
	case "auto":
		log.Info("speech: no audio output is available in this build, printing what would be said")
	}
	return speech.NewText(out), nil
}

// stage is anything that runs until its context ends.
type stage interface {
	Run(ctx context.Context) error
}

// stageFunc adapts a function to stage.
type stageFunc func(ctx context.Context) error

func (f stageFunc) Run(ctx context.Context) error { return f(ctx) }

// withConn gives a stage its own bus connection; the connection is closed when the bus is.
func withConn[S any](b *busHandle, name string, newStage func(*bus.Conn) (S, error)) (S, error) {
	c, err := b.connect(name)
	if err != nil {
		var zero S
		return zero, err
	}
	return newStage(c)
}

// runStages runs every stage until ctx ends or one of them stops, then stops the rest and
// returns their errors. A stage that stops early (its source ended) ends the run.
func runStages(ctx context.Context, stages []stage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(stages))
	for _, s := range stages {
		go func() {
			errs <- s.Run(ctx)
			cancel()
		}()
	}
	var all []error
	for range stages {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
