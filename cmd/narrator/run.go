package main

// The pipeline commands (run, describe, capture, infer, speak) are lists of parts (package
// internal/pipeline): each part registers its flags (in the package that owns them), validates
// them before anything opens, and builds its stages. A feature adds a part in a file of its own
// and one line in the lists below.

import (
	"context"
	"io"

	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/internal/runner"
)

// stage is anything that runs until its context ends.
type stage = runner.Stage

type (
	env    = pipeline.Env
	common = pipeline.Common
	part   = pipeline.Part
)

const runPurpose = "Runs the whole pipeline in one process: capture, describe, narrate and speak, on an\nembedded NATS bus (or the one named by --nats). Ctrl-C stops it."

func runNarration(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	capture, speak, infer := &captureOptions{drained: true}, &speakOptions{}, &inferOptions{}
	return pipeline.Command{Name: "run", Purpose: runPurpose, Embedded: true, Parts: []pipeline.Part{
		&eventsOptions{}, &historyOptions{}, speak, &narrateOptions{}, infer, &readingOptions{infer: infer}, &transcriptOptions{},
		&drainOptions{capture: capture, speak: speak}, capture, &metricsOptions{}, &webOptions{speak: speak},
	}}.Run(ctx, args, stdout, stderr)
}

func runCapture(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	return pipeline.Command{
		Name:    "capture",
		Purpose: "Runs only the capture stage: publishes a source's new scenes as frames on the bus at --nats.",
		Parts:   []pipeline.Part{&eventsOptions{}, &captureOptions{}, &metricsOptions{}, &webOptions{}},
	}.Run(ctx, args, stdout, stderr)
}

func runInfer(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	infer := &inferOptions{inference.Flags{OwnsMaxAge: true}}
	return pipeline.Command{
		Name:    "infer",
		Purpose: "Runs only the inference stage against the bus at --nats. Several infer processes share\nthe frames: each frame goes to one of them.",
		Parts:   []pipeline.Part{&eventsOptions{}, infer, &readingOptions{infer: infer}, &metricsOptions{}, &webOptions{}},
	}.Run(ctx, args, stdout, stderr)
}

func runSpeak(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	speak := &speakOptions{}
	return pipeline.Command{
		Name:    "speak",
		Purpose: "Runs the narration policy and the speech stage against the bus at --nats: it decides what\nis worth saying and says it here.",
		Parts: []pipeline.Part{&eventsOptions{}, &historyOptions{}, speak, &narrateOptions{}, &transcriptOptions{},
			&metricsOptions{}, &webOptions{speak: speak}},
	}.Run(ctx, args, stdout, stderr)
}
