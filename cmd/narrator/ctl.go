package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/ctl"
	"github.com/narrator-dev/narrator/internal/pipeline"
)

const ctlPurpose = `Sends one control to a running narrator and prints its acknowledgement:
  describe              describe the newest frame now and say it
  read                  say in full the text read last (needs --read-text or --backend ocr)
  repeat                say the last utterance again
  pause | resume        stop narrating until resume (describe, repeat and ask resume)
  stop                  silence what is being said now
  ask "QUESTION"        ask about the current view; the answer is spoken first and printed
  verbosity up|down|short|normal|detailed
  rate up|down|WORDS    speak faster or slower (words per minute, 80-450)
  volume up|down|PERCENT  louder or quieter (10-200)
  help                  say the keys aloud
  status                print the mode, verbosity, pause state and prompt
Each command is acknowledged aloud by the narrator (docs/accessibility.md lists what is said).
The narrator must share a bus with ctl: start it with --listen 127.0.0.1:4222 (or both with --nats URL).`

func runCtl(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("ctl", ctlPurpose, stderr)
	var o bus.Flags
	o.Register(fs, false)
	camera := fs.String("camera", "", "the camera to describe or ask about (default: the one heard from last)")
	timeout := fs.Duration("timeout", 15*time.Second, "how long to wait for the acknowledgement, and for the answer to ask or describe")
	jsonOut := fs.Bool("json", false, "print the reply (and the answer) as JSON lines")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	c, err := ctl.Parse(words)
	if err != nil {
		fs.Usage()
		return err
	}
	c.Camera = *camera
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
	return ctl.Send(ctx, conn, c, ctl.Options{Timeout: *timeout, JSON: *jsonOut, Out: stdout, NATSURL: o.NATSURL})
}

// parseInterleaved parses flags that may come before, between or after the positional words.
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	var words []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, err
		}
		if fs.NArg() == 0 {
			return words, nil
		}
		words = append(words, fs.Arg(0))
		args = fs.Args()[1:]
	}
}

func printJSON(w io.Writer, v any) {
	data, _ := json.Marshal(v)
	fmt.Fprintln(w, string(data))
}
