package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/drain"
	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/internal/userfile"
	"github.com/narrator-dev/narrator/reading"
	"github.com/narrator-dev/narrator/speech"
)

const describePurpose = `Describes one image (PATH, or - for stdin) with the chosen backend, says the description
(or prints it with --speech text) and exits once it has been said. Takes the flags of run;
PATH comes last: narrator describe --speech text page.png`

// describeDefaults are the run flags describe changes: one frame, said however long the model
// takes, no keys, only fallbacks and failures announced, quiet logs.
var describeDefaults = []string{"--keys=false", "--announce", "errors", "--stale-after", "10m", "--heartbeat", "0",
	"--max-age", "0", "--min-interval", "0", "--log-level", "warn", "--drain", "2m"}

func runDescribe(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	capture, speak, infer := &captureOptions{drained: true}, &speakOptions{}, &inferOptions{}
	cmd := pipeline.Command{Name: "describe", Purpose: describePurpose, Embedded: true, Parts: []part{
		&eventsOptions{}, speak, &narrateOptions{}, infer, &readingOptions{reading.Flags{Once: true}, infer}, &transcriptOptions{},
		&drainOptions{capture: capture, speak: speak}, capture, &metricsOptions{},
	}}
	if len(args) > 0 && slices.Contains([]string{"-h", "-help", "--help"}, args[len(args)-1]) {
		return cmd.Run(ctx, args, stdout, stderr)
	}
	if len(args) == 0 || (strings.HasPrefix(args[len(args)-1], "-") && args[len(args)-1] != "-") {
		return errors.New("describe needs an image: narrator describe [flags] PATH (or - for stdin)")
	}
	path := args[len(args)-1]
	if path == "-" {
		tmp, err := userfile.TempImage(os.Stdin, "stdin", 64<<20)
		if errors.Is(err, userfile.ErrEmpty) {
			return errors.New("describe -: stdin is empty; pipe an image in: narrator describe - < page.png")
		}
		if err != nil {
			return fmt.Errorf("describe: %w", err)
		}
		defer func() { _ = os.Remove(tmp) }()
		path = tmp
	} else if _, err := os.Stat(path); err != nil {
		return fmt.Errorf("describe: %w", err)
	}
	flags := append(append([]string{"--source", "file:" + path}, describeDefaults...), args[:len(args)-1]...)
	return cmd.Run(ctx, flags, stdout, stderr)
}

// drainOptions are the part that waits for what is in flight when the sources end; its flag is
// drain.Flags.
type drainOptions struct {
	drain.Flags
	capture *captureOptions // whose sources' ends it waits for
	speak   *speakOptions   // whose speech it waits for
}

func (o *drainOptions) Validate(*common) error { return o.Flags.Validate() }

// build makes the stage that ends the run once every source ended and what was in flight
// was said; the capture stages are then kept from ending the run themselves (drained).
func (o *drainOptions) Build(e env) ([]stage, error) {
	cams, err := o.capture.Cameras()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, c := range cams {
		names = append(names, c.Name)
	}
	w, err := pipeline.WithConn(e.Bus, "drain", func(c *bus.Conn) (*drain.Waiter, error) {
		return o.New(c, names, o.speak.Mode != speech.ModeNone, e.Log)
	})
	if err != nil {
		return nil, err
	}
	return []stage{w}, nil
}

// untilCancelled keeps a stage whose work ended (its source ended) from ending the run: it
// returns when ctx ends, or at once with the stage's error.
func untilCancelled(s stage) stage {
	return stageFunc(func(ctx context.Context) error {
		if err := s.Run(ctx); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	})
}
