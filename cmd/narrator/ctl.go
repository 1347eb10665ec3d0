package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/redact"
)

const ctlPurpose = `Sends one control to a running narrator and prints its acknowledgement:
  describe              describe the newest frame now and say it
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
	fs := newFlags("ctl", ctlPurpose, stderr)
	var o busOptions
	o.register(fs, false)
	camera := fs.String("camera", "", "the camera to describe or ask about (default: the one heard from last)")
	timeout := fs.Duration("timeout", 15*time.Second, "how long to wait for the acknowledgement, and for the answer to ask or describe")
	jsonOut := fs.Bool("json", false, "print the reply (and the answer) as JSON lines")
	words, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	c, err := parseControl(words)
	if err != nil {
		fs.Usage()
		return err
	}
	c.Camera = *camera
	log, _ := newLogger(stderr, "warn")
	b, err := o.open(ctx, log)
	if err != nil {
		return err
	}
	defer b.close()
	conn, err := b.connect("ctl")
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(ctx, *timeout)
	defer cancel()
	// Subscribe first: the answer can arrive right after the acknowledgement.
	var answers *bus.Queue[bus.Description]
	if c.Command == bus.ControlAsk || c.Command == bus.ControlDescribe {
		if answers, err = bus.SubscribeEvents[bus.Description](conn, bus.AllDescriptions, bus.QueueConfig{Name: "ctl.answers", Size: 256, Policy: bus.DropOldest}); err != nil {
			return err
		}
		if err := conn.Flush(); err != nil {
			return fmt.Errorf("bus: %w", err)
		}
	}
	var rep bus.ControlReply
	if err := conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		if errors.Is(err, bus.ErrNoResponder) {
			return fmt.Errorf("no narrator answers on %s: is `narrator run --listen %s` running?", redact.URL(o.natsURL), strings.TrimPrefix(redact.URL(o.natsURL), "nats://"))
		}
		return fmt.Errorf("%s: %w", c.Command, err)
	}
	if c.Command == bus.ControlStatus && rep.OK {
		return printStatus(ctx, conn, rep, *jsonOut, stdout)
	}
	if *jsonOut {
		printJSON(stdout, rep)
	} else if rep.OK {
		fmt.Fprintln(stdout, rep.Message)
	}
	if !rep.OK {
		return fmt.Errorf("%s: %s", c.Command, rep.Error)
	}
	if answers == nil || rep.DescribeID == "" {
		return nil
	}
	for {
		d, err := answers.Next(ctx)
		if err != nil {
			return fmt.Errorf("no answer within %s", *timeout)
		}
		if d.RequestID != rep.DescribeID || d.Partial {
			continue
		}
		if *jsonOut {
			printJSON(stdout, d)
		} else if d.Error != "" {
			return fmt.Errorf("the model failed: %s", d.Error)
		} else {
			fmt.Fprintln(stdout, d.Text)
		}
		return nil
	}
}

// parseControl turns the command words into a control request.
func parseControl(words []string) (bus.Control, error) {
	if len(words) == 0 {
		return bus.Control{}, errors.New("ctl needs a command: describe, repeat, pause, resume, stop, ask, verbosity, rate, volume, help or status")
	}
	c := bus.Control{ID: bus.NewID(), Command: words[0], At: time.Now().UTC()}
	rest := words[1:]
	switch c.Command {
	case bus.ControlAsk:
		c.Text = strings.TrimSpace(strings.Join(rest, " "))
		if c.Text == "" {
			return c, errors.New(`ask needs a question: narrator ctl ask "what colour is the cup?"`)
		}
		return c, nil
	case bus.ControlVerbosity:
		if len(rest) != 1 {
			return c, errors.New("verbosity needs one of up, down, short, normal, detailed")
		}
		c.Verbosity = rest[0]
		return c, nil
	case bus.ControlRate, bus.ControlVolume:
		if len(rest) != 1 {
			return c, fmt.Errorf("%s needs one of up, down or a number", c.Command)
		}
		c.Value = rest[0]
		return c, nil
	case bus.ControlDescribe, bus.ControlRepeat, bus.ControlPause, bus.ControlResume, bus.ControlStop, bus.ControlStatus, bus.ControlHelp:
		if len(rest) > 0 {
			return c, fmt.Errorf("%s takes no arguments, got %q", c.Command, rest)
		}
		return c, nil
	}
	return c, fmt.Errorf("unknown command %q: use describe, repeat, pause, resume, stop, ask, verbosity, rate, volume, help or status", c.Command)
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
