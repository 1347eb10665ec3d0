package announce

import (
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestSourceWatch(t *testing.T) {
	src := func(cam, state string) bus.SourceEvent { return bus.SourceEvent{Camera: cam, State: state} }
	for _, c := range []struct {
		name   string
		multi  bool
		events []bus.SourceEvent
		want   []string
	}{
		{"lost and back, once each", false,
			[]bus.SourceEvent{src("cam0", "up"), src("cam0", "down"), src("cam0", "down"), src("cam0", "up"), src("cam0", "up")},
			[]string{"Camera lost, trying again.", "Camera back."}},
		{"a file ends", false, []bus.SourceEvent{src("cam0", "up"), src("cam0", "ended")}, []string{"End of the file."}},
		{"several cameras are named", true,
			[]bus.SourceEvent{src("door", "up"), src("desk", "up"), src("door", "down"), src("desk", "down"), src("door", "up")},
			[]string{"Camera door lost, trying again.", "Camera desk lost, trying again.", "Camera door back."}},
		{"a second camera seen makes names", false,
			[]bus.SourceEvent{src("door", "up"), src("desk", "up"), src("desk", "down")},
			[]string{"Camera desk lost, trying again."}},
		{"unknown states say nothing", false, []bus.SourceEvent{src("cam0", "exploded")}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			w := newSourceWatch(c.multi)
			var got []string
			for _, e := range c.events {
				if a, ok := w.event(e); ok {
					got = append(got, a.Text)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestWorkerWatch(t *testing.T) {
	for _, c := range []struct {
		name   string
		states []string
		want   []string
	}{
		{"loads, goes down, comes back", []string{"starting", "ready", "restarting", "starting", "restarting", "starting", "ready"},
			[]string{"The model is ready.", "The model stopped answering; trying again.", "The model is back."}},
		{"cannot start", []string{"starting", "failed"}, []string{"The model cannot start. Run narrator doctor to find out why."}},
		{"down before it was ever ready, then back", []string{"starting", "restarting", "ready"},
			[]string{"The model stopped answering; trying again.", "The model is back."}},
		{"stopping is not news", []string{"starting", "ready", "stopped"}, []string{"The model is ready."}},
		// restarting+heuristic: a backend's fallback saying the heuristic describes meanwhile.
		{"cannot start, the heuristic stands in, back", []string{"starting", "restarting", "failed", "restarting+heuristic", "ready"},
			[]string{"The model stopped answering; trying again.", "The model cannot start. Run narrator doctor to find out why.",
				"Meanwhile the heuristic describer, which is not a model, describes, and the model is tried again.", "The model is back."}},
		{"server unreachable twice", []string{"ready", "restarting+heuristic", "restarting+heuristic", "ready", "restarting+heuristic", "ready"},
			[]string{"The model is ready.", "The model stopped answering, so the heuristic describer, which is not a model, describes until it is back.",
				"The model is back.", "The model stopped answering, so the heuristic describer, which is not a model, describes until it is back.", "The model is back."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var w workerWatch
			var got []string
			for _, s := range c.states {
				state, standIn, _ := strings.Cut(s, "+")
				if a, ok := w.event(bus.WorkerState{State: state, StandIn: standIn}); ok {
					got = append(got, a.Text)
				}
			}
			if !slices.Equal(got, c.want) {
				t.Fatalf("got %q, want %q", got, c.want)
			}
		})
	}
}

func TestSpeechWatch(t *testing.T) {
	var w speechWatch
	var got []string
	for _, e := range []bus.SpeechEvent{
		{State: bus.SpeechStarted},
		{State: bus.SpeechDropped, Reason: "failed: no audio"},
		{State: bus.SpeechInterrupted, Reason: "failed: device gone"},
		{State: bus.SpeechDropped, Reason: "failed: device gone", Kind: bus.KindAnnouncement},
		{State: bus.SpeechFinished},
		{State: bus.SpeechDropped, Reason: "stale"},
		{State: bus.SpeechInterrupted, Reason: "failed: again"},
	} {
		if a, ok := w.event(e); ok {
			got = append(got, a.Text)
		}
	}
	if want := []string{"Speech output failed.", "Speech output failed."}; !slices.Equal(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
}

// TestStageAnnouncesOnTheBus runs the stage against a real embedded NATS server: the start-up
// announcements first, then a camera lost and a model down and back, each an utterance of kind
// announcement; --announce errors leaves the summary out, none says nothing.
func TestStageAnnouncesOnTheBus(t *testing.T) {
	const summary = "Narrating the demo scene, a generated picture and not a camera; described by the heuristic describer, which is not a model; printed, not spoken."
	for _, c := range []struct {
		level   Level
		startup []string
		events  []string
	}{
		{All, []string{"No camera found, so narrating the demo scene instead.", summary},
			[]string{"Camera lost, trying again.", "The model stopped answering; trying again.", "The model is back."}},
		{Errors, []string{"No camera found, so narrating the demo scene instead."},
			[]string{"Camera lost, trying again.", "The model stopped answering; trying again.", "The model is back."}},
		{None, nil, nil},
	} {
		t.Run(c.level.String(), func(t *testing.T) {
			srv := bustest.Server(t)
			conn := bustest.Conn(t, srv, "announce")
			pub := bustest.Conn(t, srv, "test")
			utts := bustest.Collect[bus.Utterance](t, pub, bus.SubjectUtterances, 16)
			startup := &Startup{
				Sources:   []Source{{Camera: "cam0", Spec: "auto", Demo: true}},
				Describer: &Describer{Backend: "heuristic"}, Speech: Speech{Mode: SpeechText},
			}
			s, err := New(conn, Config{Level: c.level, Logger: slog.New(slog.DiscardHandler)})
			if err != nil {
				t.Fatal(err)
			}
			s.SayStartup(*startup)
			bustest.Run(t, s)
			next := func() string {
				u := bustest.Next(t, utts, 5*time.Second)
				if u.Text != "marker" && (u.Kind != bus.KindAnnouncement || u.Priority != bus.PriorityAnnouncement || u.Topic == "") {
					t.Errorf("utterance %+v is not an announcement", u)
				}
				return u.Text
			}
			var got []string
			for range c.startup {
				got = append(got, next())
			}
			if !slices.Equal(got, c.startup) {
				t.Fatalf("at start said %q\nwant %q", got, c.startup)
			}
			// One event at a time, each answered before the next, so the order is known
			// (sources and workers are watched apart).
			got = nil
			for _, e := range []struct {
				subject string
				v       any
			}{
				{bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceDown}},
				{bus.SubjectWorkers, bus.WorkerState{State: bus.WorkerRestarting}},
				{bus.SubjectWorkers, bus.WorkerState{State: bus.WorkerReady}},
			} {
				if err := pub.PublishEvent(e.subject, e.v); err != nil {
					t.Fatal(err)
				}
				if c.events != nil {
					got = append(got, next())
				}
			}
			if !slices.Equal(got, c.events) {
				t.Fatalf("said %q\nwant %q", got, c.events)
			}
			// Nothing more is said: once every event was read (said or withheld), a marker
			// published after them is the next utterance.
			bustest.Eventually(t, 5*time.Second, "every announcement said or withheld", func() bool {
				return s.said.Load()+s.withheld.Load() == 5
			})
			if err := pub.PublishEvent(bus.SubjectUtterances, bus.Utterance{Text: "marker"}); err != nil {
				t.Fatal(err)
			}
			if u := next(); u != "marker" {
				t.Fatalf("said %q after the events", u)
			}
			if got := s.said.Load(); got != uint64(len(c.startup)+len(c.events)) {
				t.Fatalf("counted %d said, want %d", got, len(c.startup)+len(c.events))
			}
		})
	}
}
