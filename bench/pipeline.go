package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/runner"
	"github.com/narrator-dev/narrator/narrator"
	"github.com/narrator-dev/narrator/speech"
)

// recorder keeps the events of a pipeline run that the report needs.
type recorder struct {
	events *bus.Queue[bus.Message]

	mu         sync.Mutex
	frames     map[string]bus.Frame     // by id, without the JPEG
	descs      []bus.Description        // the last event of each description, in order of arrival
	descIndex  map[string]int           // description id → its place in descs
	frameOf    map[string]string        // description id → its frame id
	utterances map[string]bus.Utterance // by id
	started    []bus.SpeechEvent        // speech started events
	changes    []time.Time              // first and changed frames' capture times
}

func newRecorder(c *bus.Conn, counters *bus.Counters) (*recorder, error) {
	q, err := bus.SubscribeRaw(c, bus.AllEvents, bus.QueueConfig{Name: "bench.events", Size: 1 << 14, Policy: bus.DropNewest, Counters: counters})
	if err != nil {
		return nil, err
	}
	return &recorder{events: q, frames: map[string]bus.Frame{}, frameOf: map[string]string{}, descIndex: map[string]int{}, utterances: map[string]bus.Utterance{}}, nil
}

// Run records events until ctx ends.
func (r *recorder) Run(ctx context.Context) error {
	defer func() { _ = r.events.Close() }()
	for {
		m, err := r.events.Next(ctx)
		if err != nil {
			return nil
		}
		r.record(m)
	}
}

func (r *recorder) record(m bus.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	kind, _ := bus.SubjectKind(m.Subject)
	switch {
	case kind == bus.KindFrames:
		f, err := m.Frame, m.FrameErr
		if err != nil {
			return
		}
		r.frames[f.ID] = f
		if f.Reason == bus.FrameFirst || f.Reason == bus.FrameChanged {
			r.changes = append(r.changes, f.CapturedAt)
		}
	case kind == bus.KindDescriptions:
		var d bus.Description
		if json.Unmarshal(m.Data, &d) != nil {
			return
		}
		r.frameOf[d.ID] = d.FrameID
		if i, ok := r.descIndex[d.ID]; ok {
			r.descs[i] = d
		} else {
			r.descIndex[d.ID] = len(r.descs)
			r.descs = append(r.descs, d)
		}
	case m.Subject == bus.SubjectUtterances:
		var u bus.Utterance
		if json.Unmarshal(m.Data, &u) == nil {
			r.utterances[u.ID] = u
		}
	case m.Subject == bus.SubjectSpeech:
		var e bus.SpeechEvent
		if json.Unmarshal(m.Data, &e) == nil && e.State == bus.SpeechStarted {
			r.started = append(r.started, e)
		}
	}
}

// runPipeline runs the real pipeline (embedded bus, capture, inference, narrator, speech) on
// src with the simulated model and speaker until ctx ends or the source ends.
func runPipeline(ctx context.Context, cfg Config, src capture.Source, demo groundTruth) (Trace, error) {
	srv, err := bus.StartServer(bus.ServerConfig{Logger: cfg.Logger})
	if err != nil {
		return Trace{}, err
	}
	defer srv.Shutdown()
	var conns []*bus.Conn
	defer func() {
		for _, c := range conns {
			c.Close()
		}
	}()
	connect := func(name string) (*bus.Conn, error) {
		c, err := srv.Connect(name)
		if err == nil {
			conns = append(conns, c)
		}
		return c, err
	}
	counters := bus.NewCounters()
	model := newSimModel(cfg.Model, demo)
	speaker := newSimSpeaker(cfg.WordsPerMinute)
	fail := func(err error) (Trace, error) {
		_ = src.Close()
		return Trace{}, fmt.Errorf("bench pipeline: %w", err)
	}
	c, err := connect("bench-recorder")
	if err != nil {
		return fail(err)
	}
	rec, err := newRecorder(c, counters)
	if err != nil {
		return fail(err)
	}
	if c, err = connect("speech"); err != nil {
		return fail(err)
	}
	sp, err := speech.New(c, speech.Config{Speaker: speaker, Counters: counters, Logger: cfg.Logger})
	if err != nil {
		return fail(err)
	}
	if c, err = connect("narrator"); err != nil {
		return fail(err)
	}
	nr, err := narrator.New(c, narrator.Config{Counters: counters, Logger: cfg.Logger})
	if err != nil {
		return fail(err)
	}
	if c, err = connect("inference"); err != nil {
		return fail(err)
	}
	inf, err := inference.New(c, inference.Config{Describer: model, Counters: counters, Logger: cfg.Logger, Preempt: cfg.Preempt})
	if err != nil {
		return fail(err)
	}
	if c, err = connect("capture"); err != nil {
		return fail(err)
	}
	cp, err := capture.New(c, capture.Config{
		Source: src, Heartbeat: cfg.Heartbeat, MinInterval: cfg.MinInterval, MaxAge: cfg.MaxAge, MaxInterval: cfg.MaxInterval,
		Threshold: cfg.Threshold, MaxEdge: cfg.MaxEdge, // as the naive loop's gate and Prepare
		Counters: counters, Logger: cfg.Logger,
	})
	if err != nil {
		return fail(err)
	}
	for _, c := range conns {
		if err := c.Flush(); err != nil {
			return fail(err)
		}
	}
	cpu0, _ := usage()
	began := time.Now()
	err = runner.All(ctx, rec, sp, nr, inf, cp)
	end := time.Now()
	cpu1, rss := usage()
	if err != nil && ctx.Err() == nil {
		return Trace{}, fmt.Errorf("bench pipeline: %w", err)
	}

	rec.mu.Lock()
	defer rec.mu.Unlock()
	t := Trace{End: end, CPU: cpu1 - cpu0, PeakRSS: rss, FramesRead: counters.Counter(bus.CounterCaptureFramesRead).Load(),
		FramesSent: counters.Counter(bus.CounterCaptureFramesSent).Load()}
	if demo != nil {
		t.Scenes = demoScenes(demo, began, end)
	} else {
		t.Scenes = rec.changes
	}
	// Overhead per frame: see docs/performance.md.
	in := map[string]time.Duration{} // description id → capture to model call, model idle
	var order []string
	for _, d := range rec.descs {
		f := rec.frames[d.FrameID]
		t.Inferences = append(t.Inferences, Inference{CapturedAt: d.CapturedAt, Start: d.InferenceStartedAt,
			FirstToken: d.FirstTokenAt, Cancelled: d.Cancelled != "", Unfinished: d.Partial, Heartbeat: f.Reason == bus.FrameHeartbeat})
		if d.RequestID == "" && !model.busyAt(d.CapturedAt) {
			in[d.ID] = d.InferenceStartedAt.Sub(d.CapturedAt)
			order = append(order, d.ID)
		}
	}
	out := map[string]time.Duration{} // description id → its first utterance's trigger to audio, speaker idle
	for _, e := range rec.started {
		u, ok := rec.utterances[e.UtteranceID]
		if !ok {
			continue
		}
		t.Spoken = append(t.Spoken, Spoken{CapturedAt: e.CapturedAt, Description: u.DescriptionID, At: e.SpokenAt})
		if _, seen := out[u.DescriptionID]; seen {
			continue
		}
		// The text that made the narrator speak: the model's last partial (or its return)
		// before the utterance was made.
		trigger := model.textBefore(rec.frameOf[u.DescriptionID], u.CreatedAt)
		if !trigger.IsZero() && !speaker.busyAt(trigger) {
			out[u.DescriptionID] = e.SpokenAt.Sub(trigger)
		}
	}
	for _, id := range order {
		t.Overhead = append(t.Overhead, in[id]+out[id])
		t.OverheadIn = append(t.OverheadIn, in[id])
		if o, ok := out[id]; ok {
			t.OverheadOut = append(t.OverheadOut, o)
		}
	}
	return t, nil
}

// demoScenes lists when each of the demo's scenes began between from and to.
func demoScenes(d groundTruth, from, to time.Time) []time.Time {
	var out []time.Time
	for t := from; !t.After(to); t = t.Add(10 * time.Millisecond) {
		if _, since := d.SceneAt(t); len(out) == 0 || !since.Equal(out[len(out)-1]) {
			out = append(out, since)
		}
	}
	return out
}
