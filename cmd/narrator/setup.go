package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/narrator-dev/narrator/inference/mlx"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

func runSetup(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("setup", "Prepares the mlx backend on an Apple Silicon Mac: finds uv, creates a Python 3.12\n"+
		"environment in the narrator's data directory ($NARRATOR_HOME, else the user data directory),\n"+
		"installs the pinned mlx-vlm, downloads the model and checks that it loads. Safe to run again,\n"+
		"and the way to repair an interrupted or broken setup: a working environment and a complete\n"+
		"download are kept, the install is checked against the pins and by importing mlx-vlm, a broken\n"+
		"environment is made again and an interrupted download resumes. Needs uv "+mlx.MinUVVersion+" or newer.", stderr)
	model := fs.String("model", mlx.DefaultModel, "hub id (org/name) or local folder of an mlx-format model")
	revision := fs.String("revision", "", "commit, tag or branch to download (default: pinned for the default model, else main)")
	check := fs.Bool("check", true, "load the model once at the end to prove it works")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("setup takes no arguments, got %q", fs.Args())
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	return mlx.Setup(ctx, mlx.SetupConfig{
		Model: *model, Revision: *revision, Check: *check, Out: stdout, Logger: log,
	})
}
