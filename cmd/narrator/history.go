package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/eventfmt"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

const historyPurpose = `Prints what the narrator saw and said, from the history it keeps (narrator run --history,
one hour by default): descriptions, what was spoken and what was left unsaid and why.
It reads the running narrator's bus (--nats; start it with --listen 127.0.0.1:4222). When no
narrator answers, it reads the history kept in the data directory.`

func runHistory(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("history", historyPurpose, stderr)
	var o bus.Flags
	o.Register(fs, false)
	since := fs.Duration("since", 0, "start this long ago, e.g. 10m (0: everything kept)")
	camera := fs.String("camera", "", "only the events of this camera")
	jsonOut := fs.Bool("json", false, "print each event as one JSON line: {\"subject\":…,\"at\":…,\"seq\":…,\"data\":…}")
	follow := fs.Bool("follow", false, "then keep printing new events as they come, until Ctrl-C")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("history takes no arguments, got %q", fs.Args())
	}
	if *since < 0 {
		return fmt.Errorf("--since %s: use a positive duration, e.g. 10m", *since)
	}
	conn, closeBus, err := bus.OpenHistory(ctx, o, stderr)
	if err != nil {
		return err
	}
	defer closeBus()
	q := bus.HistoryQuery{Since: *since, Camera: *camera, Follow: *follow}
	err = bus.ReadHistory(ctx, conn, q, func(e bus.HistoryEvent) error {
		line := eventfmt.Human(e.Message, e.At.Local()) // like listen, at the time it was recorded
		if *jsonOut {
			line = eventfmt.HistoryJSON(e)
		}
		if line == "" {
			return nil
		}
		_, err := fmt.Fprintln(stdout, line)
		return err
	})
	if errors.Is(err, bus.ErrNoJetStream) {
		return fmt.Errorf("%w: run the narrator with its embedded bus, or give its nats-server -js", err)
	}
	return err
}
