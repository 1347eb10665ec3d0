package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"syscall"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/narrator"
)

func runListen(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("listen", "Prints the events on a narrator bus as they arrive, until Ctrl-C.", stderr)
	var o busOptions
	o.register(fs, false)
	subject := fs.String("subject", bus.AllEvents, "the subjects to print")
	jsonOut := fs.Bool("json", false, "print each event as one JSON line: {\"subject\":…,\"data\":…}")
	stats := fs.Bool("stats", false, "also print the processes' counters ("+bus.SubjectStats+"), hidden by default")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("listen takes no arguments, got %q", fs.Args())
	}
	log, _ := newLogger(stderr, "info")
	b, err := o.open(ctx, log)
	if err != nil {
		return err
	}
	defer b.close()
	p, err := newPrinter(b, stdout, *jsonOut, *subject, nil, log)
	if err != nil {
		return err
	}
	p.hideStats = !*stats
	return p.Run(ctx)
}

// printer writes bus events to a terminal or a pipe.
type printer struct {
	out  io.Writer
	json bool
	msgs *bus.Queue[bus.Message]
	log  *slog.Logger
	// hideStats leaves out stats and stats requests (listen without --stats).
	hideStats bool
}

func newPrinter(b *busHandle, out io.Writer, jsonOut bool, subject string, counters *bus.Counters, log *slog.Logger) (*printer, error) {
	c, err := b.connect("printer")
	if err != nil {
		return nil, err
	}
	q, err := bus.SubscribeRaw(c, subject, bus.QueueConfig{Name: "printer", Size: 1024, Policy: bus.DropNewest, Counters: counters})
	if err != nil {
		return nil, err
	}
	return &printer{out: out, json: jsonOut, msgs: q, log: log}, nil
}

// shutdownGrace is how long, once its context ended, the printer still prints what the bus
// delivers: the events of a run's last moments (the speech finished event that ended a
// `describe`) were published before the stop and are on their way.
const shutdownGrace = 200 * time.Millisecond

// Run prints events until ctx ends (and what arrives in the shutdown grace after), then reports
// how many it had to drop.
func (p *printer) Run(ctx context.Context) error {
	stopped := false
	grace := context.Background()
	defer func() {
		if n := p.msgs.Dropped(); n > 0 {
			p.log.Warn("printer could not keep up", "dropped", n)
		}
	}()
	for {
		m, err := p.msgs.Next(ctx)
		if err != nil && !stopped {
			stopped = true
			var cancel context.CancelFunc
			grace, cancel = context.WithTimeout(context.Background(), shutdownGrace)
			defer cancel()
		}
		if err != nil {
			if m, err = p.msgs.Next(grace); err != nil {
				return nil
			}
		}
		if p.hideStats && bus.IsStatsSubject(m.Subject) {
			continue
		}
		var line string
		if p.json {
			line = jsonLine(m)
		} else {
			line = humanLine(m)
		}
		if line == "" {
			continue
		}
		if _, err := fmt.Fprintln(p.out, line); err != nil {
			if errors.Is(err, syscall.EPIPE) {
				p.log.Info("the reader of the events went away; stopping")
				return nil // `narrator run --json | head`: stop cleanly, like Ctrl-C
			}
			return fmt.Errorf("print event: %w", err)
		}
	}
}

// jsonLine renders a message as {"subject":…,"data":…}; frames carry their metadata and size.
func jsonLine(m bus.Message) string {
	var data any = json.RawMessage(m.Data)
	if bus.IsFrameSubject(m.Subject) {
		if m.FrameErr != nil {
			data = map[string]any{"error": m.FrameErr.Error(), "bytes": m.Size}
		} else {
			data = struct {
				bus.Frame
				JPEGBytes int `json:"jpeg_bytes"`
			}{m.Frame, m.Size}
		}
	} else if !json.Valid(m.Data) {
		data = map[string]any{"error": "not JSON", "bytes": len(m.Data)}
	}
	out, _ := json.Marshal(struct {
		Subject string `json:"subject"`
		Data    any    `json:"data"`
	}{m.Subject, data})
	return string(out)
}

// humanLine renders a message as a short line; partial descriptions are left out.
func humanLine(m bus.Message) string { return humanLineAt(m, time.Now()) }

// humanLineAt renders a message that arrived at at.
func humanLineAt(m bus.Message, at time.Time) string {
	ts := at.Format("15:04:05.000")
	decode := func(v any) bool { return json.Unmarshal(m.Data, v) == nil }
	kind, _ := bus.SubjectKind(m.Subject)
	switch {
	case kind == bus.KindFrames:
		f, err := m.Frame, m.FrameErr
		if err != nil {
			return fmt.Sprintf("%s %s bad frame: %v", ts, m.Subject, err)
		}
		return fmt.Sprintf("%s %s frame #%d %s (distance %d) %dx%d %d KB", ts, f.Camera, f.Seq, f.Reason, f.Distance, f.Width, f.Height, m.Size/1024)
	case kind == bus.KindDescriptions:
		var d bus.Description
		if !decode(&d) || d.Partial {
			return ""
		}
		if d.Error != "" {
			return fmt.Sprintf("%s %s description failed [%s]: %s", ts, d.Camera, d.Backend, d.Error)
		}
		return fmt.Sprintf("%s %s description [%s, %d ms]: %s", ts, d.Camera, d.Backend, d.CompletedAt.Sub(d.InferenceStartedAt).Milliseconds(), d.Text)
	case m.Subject == bus.SubjectDecisions:
		var d bus.Decision
		if !decode(&d) {
			break
		}
		if d.Action == bus.ActionSuppress {
			return fmt.Sprintf("%s %s suppressed (%s): %s", ts, d.Camera, d.Reason, d.Text)
		}
		return ""
	case m.Subject == bus.SubjectSpeech:
		var e bus.SpeechEvent
		if !decode(&e) {
			break
		}
		switch e.State {
		case bus.SpeechStarted:
			return fmt.Sprintf("%s %s speaking [%s, glass-to-ear %.0f ms]: %s", ts, e.Camera, e.Backend, e.GlassToEarMS, e.Text)
		case bus.SpeechFinished:
			return ""
		}
		return fmt.Sprintf("%s %s speech %s (%s): %s", ts, e.Camera, e.State, e.Reason, e.Text)
	case m.Subject == bus.SubjectUtterances:
		return ""
	case m.Subject == bus.SubjectStats:
		var s bus.Stats
		if decode(&s) {
			return fmt.Sprintf("%s stats %s: %v", ts, s.Process, s.Counters)
		}
	case m.Subject == bus.SubjectWorkers:
		var w bus.WorkerState
		if !decode(&w) {
			break
		}
		switch w.State {
		case bus.WorkerReady:
			return fmt.Sprintf("%s worker %s ready: %s loaded in %.1f s, warm-up %.2f s", ts, w.Worker, w.Model, w.LoadMS/1000, w.WarmupMS/1000)
		case bus.WorkerRestarting, bus.WorkerFailed:
			return fmt.Sprintf("%s worker %s %s (%s): %s", ts, w.Worker, w.State, w.Code, w.Reason)
		}
		return fmt.Sprintf("%s worker %s %s", ts, w.Worker, w.State)
	case m.Subject == bus.SubjectControl:
		var c bus.Control
		if decode(&c) {
			return strings.TrimSpace(fmt.Sprintf("%s control %s %s%s", ts, c.Command, c.Verbosity, c.Text))
		}
	case m.Subject == bus.SubjectSpeechControl:
		var c bus.SpeechControl
		if decode(&c) {
			return fmt.Sprintf("%s speech %s (%s)", ts, c.Command, c.Reason)
		}
	case m.Subject == bus.SubjectDescribe:
		return "" // the control that caused it was printed
	case m.Subject == bus.SubjectPrompt:
		var p bus.Prompt
		if decode(&p) {
			return fmt.Sprintf("%s prompt (%s): %s", ts, p.Preset, p.Text)
		}
	case kind == bus.KindSources:
		var e bus.SourceEvent
		if !decode(&e) {
			break
		}
		switch {
		case e.State == bus.SourceDown:
			return fmt.Sprintf("%s %s source down: %s (retrying in %d ms)", ts, e.Camera, e.Error, e.RetryInMS)
		case e.State == bus.SourceUp && e.Attempt > 0:
			return fmt.Sprintf("%s %s source back after %.1f s: %s", ts, e.Camera, e.DownForMS/1000, e.Source)
		}
		return fmt.Sprintf("%s %s source %s: %s", ts, e.Camera, e.State, e.Source)
	case kind == bus.KindCues:
		var c bus.Cue
		if decode(&c) {
			return fmt.Sprintf("%s %s cues: %s", ts, c.Camera, narrator.RenderCues(c))
		}
	}
	return fmt.Sprintf("%s %s %d bytes", ts, m.Subject, len(m.Data))
}

// eventsOptions is the printer of every bus event on stdout, on with the common --json.
type eventsOptions struct{ on bool }

func (o *eventsOptions) register(*flag.FlagSet) {}

func (o *eventsOptions) validate(c *common) error {
	o.on = c.json
	return nil
}

func (o *eventsOptions) build(e env) ([]stage, error) {
	if !o.on {
		return nil, nil
	}
	pr, err := newPrinter(e.bus, e.stdout, true, bus.AllEvents, e.counters, e.log)
	if err != nil {
		return nil, err
	}
	return []stage{pr}, nil
}
