package main

import (
	"context"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/internal/devices"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

func runDevices(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("devices", "Lists the cameras this build can open (for --source camera:INDEX or camera:NAME),\nthe other sources and the audio outputs.", stderr)
	jsonOut := fs.Bool("json", false, "print one JSON object instead of a list")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("devices takes no arguments, got %q", fs.Args())
	}
	r := devices.Gather(ctx)
	if *jsonOut {
		return r.WriteJSON(stdout)
	}
	return r.WriteText(stdout)
}
