package main

import (
	"context"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference/mlx"
	"github.com/narrator-dev/narrator/internal/cliflag"
	"github.com/narrator-dev/narrator/internal/doctor"
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/reading"
)

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("doctor", "Checks what narrator needs and prints one line per check with its fix.", stderr)
	model := fs.String("model", mlx.DefaultModel, "the mlx model to check for")
	audioDevice := fs.String("audio-device", "", "the output to check (`DEVICE`), as 'narrator run --audio-device' takes it; empty: the default output")
	workerPython := fs.String("worker-python", cliflag.Env("NARRATOR_WORKER_PYTHON", ""), "the mlx worker's Python (`PATH`; default: the environment 'narrator setup' made; env NARRATOR_WORKER_PYTHON)")
	ocrLang := fs.String("ocr-lang", reading.DefaultLang, "the text reader's languages to check for (`LANGS`), as 'narrator run --ocr-lang' takes them")
	var o bus.Flags
	o.Register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("doctor takes no arguments, got %q", fs.Args())
	}
	checks := mlx.Checks(ctx, mlx.CheckConfig{Model: *model, Python: *workerPython})
	checks = append(checks, doctor.FFmpeg(ctx), doctor.Camera(), doctor.Audio(*audioDevice), doctor.OpenBus(ctx, o), reading.Check(*ocrLang))
	failed, err := doctor.Print(stdout, checks)
	if err != nil {
		return err
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	return nil
}
