package ctl

import (
	"context"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/bus"
)

// printStatus prints the narrator's state and the newest description, decision and utterance
// of each camera, from the history's latest bucket.
func printStatus(ctx context.Context, conn *bus.Conn, rep bus.ControlReply, jsonOut bool, stdout io.Writer) error {
	latest, err := bus.ReadLatest(ctx, conn)
	why := ""
	if err != nil {
		why = err.Error()
	}
	if jsonOut {
		printJSON(stdout, struct {
			bus.ControlReply
			Latest []bus.Latest `json:"latest"`
			// NoLatest says why latest is empty when the bus keeps no history.
			NoLatest string `json:"no_latest,omitempty"`
		}{rep, latest, why})
		return nil
	}
	fmt.Fprintln(stdout, rep.Message)
	fmt.Fprintf(stdout, "mode %s, verbosity %s, paused %v, prompt %s: %s\n", rep.Mode, rep.Verbosity, rep.Paused, rep.Prompt.Preset, rep.Prompt.Text)
	if why != "" {
		fmt.Fprintln(stdout, "latest: none:", why)
	}
	for _, l := range latest {
		if d := l.Description; d != nil {
			fmt.Fprintf(stdout, "%s saw at %s: %s\n", l.Camera, d.CapturedAt.Local().Format("15:04:05"), describeText(*d))
		}
		if d := l.Decision; d != nil && d.Action == bus.ActionSuppress {
			fmt.Fprintf(stdout, "%s left unsaid at %s (%s): %s\n", l.Camera, d.DecidedAt.Local().Format("15:04:05"), d.Reason, d.Text)
		}
		if u := l.Utterance; u != nil {
			fmt.Fprintf(stdout, "%s last said at %s: %s\n", l.Camera, u.CreatedAt.Local().Format("15:04:05"), u.Text)
		}
	}
	return nil
}

func describeText(d bus.Description) string {
	if d.Error != "" {
		return "(failed: " + d.Error + ")"
	}
	return d.Text
}
