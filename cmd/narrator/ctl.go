package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/ctl"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("ctl", ctl.Purpose, stderr)
	var o bus.Flags
	o.Register(fs, false)
	var f ctl.Flags
	f.Register(fs)
	words, err := ctl.ParseArgs(fs, args)
	if err != nil {
		return err
	}
	c, err := ctl.Parse(words)
	if err != nil {
		fs.Usage()
		return err
	}
	c.Camera = f.Camera
	log, _ := pipeline.NewLogger(stderr, "warn")
	b, err := o.Open(ctx, log)
	if err != nil {
		return err
	}
	defer b.Close()
	conn, err := b.Connect("ctl")
	if err != nil {
		return err
	}
	return ctl.Send(ctx, conn, c, ctl.Options{Timeout: f.Timeout, JSON: f.JSON, Out: stdout, NATSURL: o.NATSURL})
}

func printJSON(w io.Writer, v any) {
	data, _ := json.Marshal(v)
	fmt.Fprintln(w, string(data))
}
