package main

import (
	"context"
	"fmt"
	"io"
	"os"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/runner"
)

// pipelineCommand describes a command that runs some of the stages: `run` runs them all,
// `capture`, `infer` and `speak` run their part against a shared bus.
type pipelineCommand struct {
	name, purpose string
	embedded      bool // may embed the bus; otherwise --nats is required
	drain         bool // when every source ended, wait for what is in flight, then stop (--drain)
	capture       *captureOptions
	infer         *inferOptions
	narrate       *narrateOptions
	speak         *speakOptions
	history       *historyOptions // kept by the processes that narrate
}

func runNarration(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipelineCommand{
		name:     "run",
		purpose:  "Runs the whole pipeline in one process: capture, describe, narrate and speak, on an\nembedded NATS bus (or the one named by --nats). Ctrl-C stops it.",
		embedded: true, drain: true,
		capture: &captureOptions{}, infer: &inferOptions{}, narrate: &narrateOptions{}, speak: &speakOptions{},
		history: &historyOptions{},
	}.run(ctx, args, stdout, stderr)
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipelineCommand{
		name:    "capture",
		purpose: "Runs only the capture stage: publishes a source's new scenes as frames on the bus at --nats.",
		capture: &captureOptions{},
	}.run(ctx, args, stdout, stderr)
}

func runInfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipelineCommand{
		name:    "infer",
		purpose: "Runs only the inference stage against the bus at --nats. Several infer processes share\nthe frames: each frame goes to one of them.",
		infer:   &inferOptions{},
	}.run(ctx, args, stdout, stderr)
}

func runSpeak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipelineCommand{
		name:    "speak",
		purpose: "Runs the narration policy and the speech stage against the bus at --nats: it decides what\nis worth saying and says it here.",
		narrate: &narrateOptions{}, speak: &speakOptions{}, history: &historyOptions{},
	}.run(ctx, args, stdout, stderr)
}

func (p pipelineCommand) run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags(p.name, p.purpose, stderr)
	if p.capture != nil {
		p.capture.register(fs)
	}
	if p.infer != nil {
		p.infer.register(fs)
	}
	if p.narrate != nil {
		p.narrate.register(fs)
	}
	if p.speak != nil {
		p.speak.register(fs)
	}
	if p.history != nil {
		p.history.register(fs)
	}
	var busOpts busOptions
	busOpts.register(fs, p.embedded)
	var drainOpts drainOptions
	if p.drain {
		drainOpts.register(fs.DurationVar)
	}
	var transcriptOpts transcriptOptions
	if p.speak != nil {
		transcriptOpts.register(fs)
	}
	metricsAddr := fs.String("metrics", "", "serve Prometheus metrics on HOST:PORT at /metrics (loopback unless a host is named; default: off)")
	duration := fs.Duration("duration", 0, "stop after this long (0: run until Ctrl-C)")
	jsonOut := fs.Bool("json", false, "print every bus event as one JSON line on stdout (logs stay on stderr)")
	logLevel := fs.String("log-level", "info", "log level: debug, info, warn, error")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("%s takes no arguments, got %q", p.name, fs.Args())
	}
	if *duration < 0 {
		return fmt.Errorf("--duration %s: use a positive duration, or 0 to run until Ctrl-C", *duration)
	}
	if p.capture != nil {
		if err := p.capture.validate(); err != nil {
			return err
		}
	}
	if p.infer != nil {
		if err := p.infer.validate(); err != nil {
			return err
		}
	}
	if p.narrate != nil {
		if _, err := p.narrate.config(env{}); err != nil {
			return err
		}
	}
	if p.speak != nil {
		if err := p.speak.validate(); err != nil {
			return err
		}
	}
	if err := transcriptOpts.validate(*jsonOut); err != nil {
		return err
	}
	if p.history != nil {
		if err := p.history.validate(); err != nil {
			return err
		}
		if err := p.history.prepare(&busOpts); err != nil {
			return err
		}
	}
	log, err := newLogger(stderr, transcriptOpts.logLevel(fs, *logLevel))
	if err != nil {
		return err
	}
	if *duration > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, *duration)
		defer cancel()
	}
	b, err := busOpts.open(ctx, log)
	if err != nil {
		return err
	}
	defer b.close()
	e := env{transcript: transcriptOpts.on, ctx: ctx, bus: b, counters: bus.NewCounters(), log: log, stdout: stdout, stderr: stderr, json: *jsonOut, spoken: &spoken{}}

	// Subscribers first, producers last, so nothing published at start is missed.
	var stages []stage
	if *jsonOut {
		pr, err := newPrinter(b, stdout, true, bus.AllEvents, e.counters, log)
		if err != nil {
			return err
		}
		stages = append(stages, pr)
	}
	var builders []func(env) ([]stage, error)
	if p.history != nil {
		builders = append(builders, p.history.stages)
	}
	if p.speak != nil {
		builders = append(builders, p.speak.stages)
	}
	if p.narrate != nil {
		builders = append(builders, p.narrate.stages)
	}
	if p.infer != nil {
		builders = append(builders, p.infer.stages)
	}
	if p.speak != nil {
		builders = append(builders, transcriptOpts.stages)
	}
	if p.drain {
		builders = append(builders, func(e env) ([]stage, error) {
			cams, err := p.capture.cameraSources()
			if err != nil {
				return nil, err
			}
			var names []string
			for _, c := range cams {
				names = append(names, c.name)
			}
			w, err := drainOpts.waiter(e, names, p.speak.speech != "none")
			return []stage{w}, err
		})
	}
	if p.capture != nil {
		builders = append(builders, func(e env) ([]stage, error) {
			s, err := p.capture.stages(e)
			if p.drain {
				for i := range s {
					s[i] = untilCancelled(s[i])
				}
			}
			return s, err
		})
	}
	for _, build := range builders {
		s, err := build(e)
		if err != nil {
			closeStages(stages)
			return err
		}
		stages = append(stages, s...)
	}
	if *metricsAddr != "" {
		s, err := metricsStages(e, *metricsAddr)
		if err != nil {
			closeStages(stages)
			return err
		}
		stages = append(stages, s...)
	}
	host, _ := os.Hostname()
	st, err := statsStage(e, fmt.Sprintf("narrator %s (pid %d on %s)", p.name, os.Getpid(), host))
	if err != nil {
		closeStages(stages)
		return err
	}
	e.spoken.sayStartup()
	return runner.All(ctx, append(stages, st)...)
}

// closeStages runs stages that were built but will not run on an ended context, so each
// releases what it holds (a capture stage closes its source) before the command returns.
func closeStages(stages []stage) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = runner.All(ctx, stages...)
}

// envOr returns the environment variable's value, or def when it is unset.
func envOr(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}
