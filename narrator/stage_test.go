package narrator

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

const wait = 5 * time.Second

// harness is a narrator stage on a real embedded bus, with a connection that plays the other
// stages and collects what the narrator publishes.
type harness struct {
	t          *testing.T
	srv        *bus.Server
	pub        *bus.Conn
	utterances *bus.Queue[bus.Utterance] // narration only
	acks       *bus.Queue[bus.Utterance] // announcements: acknowledgements (acks_test.go)
	decisions  *bus.Queue[bus.Decision]
	control    *bus.Queue[bus.SpeechControl]
	prompts    *bus.Queue[bus.Prompt]
	cues       *bus.Queue[bus.Cue]
	stage      *Stage
}

func startStage(t *testing.T, cfg Config) *harness {
	t.Helper()
	srv := bustest.Server(t)
	h := &harness{t: t, srv: srv, pub: bustest.Conn(t, srv, "test")}
	h.utterances, h.acks = splitAnnouncements(t, srv)
	h.decisions = bustest.Collect[bus.Decision](t, h.pub, bus.SubjectDecisions, 128)
	h.control = bustest.Collect[bus.SpeechControl](t, h.pub, bus.SubjectSpeechControl, 16)
	h.prompts = bustest.Collect[bus.Prompt](t, h.pub, bus.SubjectPrompt, 16)
	h.cues = bustest.Collect[bus.Cue](t, h.pub, bus.AllCues, 16)
	s, err := New(bustest.Conn(t, srv, "narrator"), cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.stage = s
	bustest.Run(t, s)
	// The stage publishes its prompt when Run starts: from then on it is listening.
	bustest.Next(t, h.prompts, wait)
	return h
}

// describe publishes a description as the inference stage would.
func (h *harness) describe(d bus.Description) {
	h.t.Helper()
	if d.Camera == "" {
		d.Camera = "cam0"
	}
	if d.ID == "" {
		d.ID = bus.NewID()
	}
	if d.CapturedAt.IsZero() {
		d.CapturedAt = time.Now().UTC()
	}
	if err := h.pub.PublishEvent(bus.DescriptionSubject(d.Camera), d); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) ctl(c bus.Control) bus.ControlReply {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	c.ID = bus.NewID()
	var rep bus.ControlReply
	if err := h.pub.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		h.t.Fatalf("control %s: %v", c.Command, err)
	}
	if rep.RequestID != c.ID {
		h.t.Fatalf("reply to %s answers request %q", c.ID, rep.RequestID)
	}
	return rep
}

// noMore checks that nothing else was said, once a later decision shows the stage got that far.
func (h *harness) noMore() {
	h.t.Helper()
	h.describe(bus.Description{Text: "A lighthouse on a cliff at sunset, waves below."})
	for {
		d := bustest.Next(h.t, h.decisions, wait)
		if strings.HasPrefix(d.Text, "A lighthouse") {
			break
		}
	}
	if u := bustest.Next(h.t, h.utterances, wait); !strings.HasPrefix(u.Text, "A lighthouse") {
		h.t.Fatalf("unexpected utterance %q", u.Text)
	}
}

func TestStageSaysParaphrasesOnceAndChangesAlways(t *testing.T) {
	h := startStage(t, Config{Mode: ModeChanges})
	stream := []struct {
		text string
		said bool
	}{
		{"The image shows a man sitting at a desk.", true},
		{"A person is sitting at a desk.", false},
		{"In this image, a man is seated at the desk.", false},
		{"A woman sits at a desk.", false},
		{"A cat jumps onto the desk next to the man.", true},
		{"A cat is on the desk beside a person.", false},
		{"The room is dark and empty.", true},
		{"An empty, dark room.", false},
	}
	for _, s := range stream {
		h.describe(bus.Description{Text: s.text})
	}
	for _, s := range stream {
		d := bustest.Next(t, h.decisions, wait)
		if got := d.Action == bus.ActionSpeak; got != s.said {
			t.Errorf("%q: action %s (%s), want said=%v", s.text, d.Action, d.Reason, s.said)
		}
		if d.Action == bus.ActionSuppress && (d.Reason != bus.ReasonDuplicate || d.DuplicateOf == "") {
			t.Errorf("%q: suppressed as %q, duplicate_of %q", s.text, d.Reason, d.DuplicateOf)
		}
		if s.said {
			u := bustest.Next(t, h.utterances, wait)
			if u.ID != d.UtteranceID || u.Priority != bus.PriorityNormal || !u.NotAfter.After(u.CapturedAt) {
				t.Errorf("utterance %+v does not match decision %+v", u, d)
			}
			if strings.HasPrefix(u.Text, "The image") || strings.HasPrefix(u.Text, "In this image") {
				t.Errorf("boilerplate was said: %q", u.Text)
			}
		}
	}
	h.noMore()
}

func TestStageDropsStaleDescriptions(t *testing.T) {
	h := startStage(t, Config{StaleAfter: 2 * time.Second})
	h.describe(bus.Description{Text: "A bus stops outside.", CapturedAt: time.Now().Add(-time.Minute)})
	d := bustest.Next(t, h.decisions, wait)
	if d.Action != bus.ActionSuppress || d.Reason != bus.ReasonStale {
		t.Fatalf("stale description: %+v", d)
	}
	h.noMore()
}

func TestStageStreamsTheFirstSentence(t *testing.T) {
	h := startStage(t, Config{})
	id := bus.NewID()
	captured := time.Now().UTC()
	for _, text := range []string{"A man", "A man sits at a desk.", "A man sits at a desk. He is typ"} {
		h.describe(bus.Description{ID: id, Partial: true, Text: text, CapturedAt: captured})
	}
	// The first sentence is said while the model is still generating: no final was sent yet.
	u := bustest.Next(t, h.utterances, wait)
	if u.Text != "A man sits at a desk." || u.DescriptionID != id {
		t.Fatalf("first utterance %+v", u)
	}
	h.describe(bus.Description{ID: id, Text: "A man sits at a desk. He is typing on a laptop.", CapturedAt: captured})
	rest := bustest.Next(t, h.utterances, wait)
	if rest.Text != "He is typing on a laptop." {
		t.Fatalf("rest %q", rest.Text)
	}
	d := bustest.Next(t, h.decisions, wait)
	if d.Action != bus.ActionSpeak || d.UtteranceID != rest.ID || d.Text != "A man sits at a desk. He is typing on a laptop." {
		t.Fatalf("decision %+v", d)
	}
	// A paraphrase streamed next is held at its first sentence and suppressed whole.
	id2 := bus.NewID()
	h.describe(bus.Description{ID: id2, Partial: true, Text: "A person is sitting at the desk. "})
	h.describe(bus.Description{ID: id2, Text: "A person is sitting at the desk. He types on his laptop."})
	if d := bustest.Next(t, h.decisions, wait); d.Action != bus.ActionSuppress || d.Reason != bus.ReasonDuplicate {
		t.Fatalf("streamed paraphrase: %+v", d)
	}
	h.noMore()
}

// fakeInference answers describe requests the way the inference stage does: an
// acknowledgement naming the frame, then the description with the request's id.
func fakeInference(t *testing.T, conn *bus.Conn, answer func(bus.DescribeRequest) string) *sync.WaitGroup {
	t.Helper()
	q, err := bus.SubscribeRequests[bus.DescribeRequest](conn, bus.SubjectDescribe, bus.QueueConfig{Name: "fake", Size: 4})
	if err != nil {
		t.Fatal(err)
	}
	conn.Flush()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			r, err := q.Next(ctx)
			if err != nil {
				return
			}
			conn.Reply(r, bus.DescribeReply{ID: bus.NewID(), RequestID: r.Body.ID, OK: true, Camera: "cam0", FrameID: "f1", Backend: "fake", UsesPrompt: true})
			conn.PublishEvent(bus.DescriptionSubject("cam0"), bus.Description{
				ID: bus.NewID(), Camera: "cam0", FrameID: "f1", Text: answer(r.Body), RequestID: r.Body.ID,
				CapturedAt: time.Now().Add(-time.Minute).UTC(), // an old frame of a still scene is still true
			})
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait(); q.Close() })
	return &wg
}

func TestStageControls(t *testing.T) {
	h := startStage(t, Config{Mode: ModeChanges})

	if rep := h.ctl(bus.Control{Command: bus.ControlRepeat}); rep.OK || rep.Error == "" {
		t.Errorf("repeat with nothing said: %+v", rep)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlAsk, Text: "what is on the desk?"}); rep.OK || !strings.Contains(rep.Error, "no inference stage") {
		t.Errorf("ask with no inference stage: %+v", rep)
	}
	if rep := h.ctl(bus.Control{Command: "dance"}); rep.OK || !strings.Contains(rep.Error, "unknown command") {
		t.Errorf("unknown command: %+v", rep)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlAsk}); rep.OK || !strings.Contains(rep.Error, "question") {
		t.Errorf("ask without a question: %+v", rep)
	}

	rep := h.ctl(bus.Control{Command: bus.ControlPause})
	if !rep.OK || !rep.Paused {
		t.Fatalf("pause: %+v", rep)
	}
	if c := bustest.Next(t, h.control, wait); c.Command != bus.SpeechPause {
		t.Fatalf("speech control on pause: %+v", c)
	}
	h.describe(bus.Description{Text: "A red kite in a blue sky."})
	if d := bustest.Next(t, h.decisions, wait); d.Reason != bus.ReasonPaused {
		t.Fatalf("while paused: %+v", d)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlResume}); !rep.OK || rep.Paused {
		t.Fatalf("resume: %+v", rep)
	}
	if c := bustest.Next(t, h.control, wait); c.Command != bus.SpeechResume {
		t.Fatalf("speech control on resume: %+v", c)
	}

	h.describe(bus.Description{Text: "A man sits at a desk. He reads a book. A lamp is on."})
	first := bustest.Next(t, h.utterances, wait)
	if first.Text != "A man sits at a desk. He reads a book." {
		t.Fatalf("normal verbosity said %q", first.Text)
	}
	bustest.Next(t, h.decisions, wait)
	if rep := h.ctl(bus.Control{Command: bus.ControlVerbosity, Verbosity: "down"}); !rep.OK || rep.Verbosity != "short" {
		t.Fatalf("verbosity down: %+v", rep)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlVerbosity, Verbosity: "louder"}); rep.OK {
		t.Fatalf("verbosity louder accepted: %+v", rep)
	}
	rep = h.ctl(bus.Control{Command: bus.ControlRepeat})
	again := bustest.Next(t, h.utterances, wait)
	if !rep.OK || again.Text != first.Text || again.Priority != bus.PriorityUrgent || again.ID == first.ID {
		t.Fatalf("repeat: %+v, said %+v", rep, again)
	}

	if rep := h.ctl(bus.Control{Command: bus.ControlStop}); !rep.OK {
		t.Fatalf("stop: %+v", rep)
	}
	if c := bustest.Next(t, h.control, wait); c.Command != bus.SpeechStop {
		t.Fatalf("speech control on stop: %+v", c)
	}

	// With an inference stage: ask is answered from the newest frame, urgently, even though the
	// answer repeats what was said and its frame is old.
	var prompts []string
	var mu sync.Mutex
	fakeInference(t, h.pub, func(r bus.DescribeRequest) string {
		mu.Lock()
		prompts = append(prompts, r.Prompt)
		mu.Unlock()
		if r.Purpose == bus.ControlAsk {
			return "There is a book on the desk. It is open."
		}
		return "A man sits at a desk."
	})
	rep = h.ctl(bus.Control{Command: bus.ControlAsk, Text: "what is on the desk?"})
	if !rep.OK || rep.Message != "Asking." || rep.DescribeID == "" {
		t.Fatalf("ask: %+v", rep)
	}
	ans := bustest.Next(t, h.utterances, wait)
	if ans.Text != "There is a book on the desk." || ans.Priority != bus.PriorityUrgent || !ans.NotAfter.After(time.Now()) {
		t.Fatalf("answer %+v", ans)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlDescribe}); !rep.OK {
		t.Fatalf("describe: %+v", rep)
	}
	if u := bustest.Next(t, h.utterances, wait); u.Text != "A man sits at a desk." || u.Priority != bus.PriorityUrgent {
		t.Fatalf("describe now said %+v", u)
	}
	mu.Lock()
	if len(prompts) != 2 || !strings.Contains(prompts[0], "what is on the desk?") || prompts[1] != Presets["describe"] {
		t.Errorf("prompts sent to inference: %q", prompts)
	}
	mu.Unlock()
}

func TestStageAnswersMalformedControls(t *testing.T) {
	h := startStage(t, Config{})
	ctx, cancel := context.WithTimeout(context.Background(), wait)
	defer cancel()
	var rep bus.ControlReply
	if err := h.pub.RequestEvent(ctx, bus.SubjectControl, "not a control", &rep); err != nil {
		t.Fatal(err)
	}
	if rep.OK || !strings.Contains(rep.Error, "decode") {
		t.Fatalf("malformed control: %+v", rep)
	}
}

func TestStageDirectorPublishesCues(t *testing.T) {
	h := startStage(t, Config{Mode: ModeDirector})
	id := bus.NewID()
	h.describe(bus.Description{ID: id, Partial: true, Text: "colour: deep blue\n"})
	h.describe(bus.Description{ID: id, Text: "**Colour:** deep blue\nMood: calm\nenergy: low\nobjects: desk, lamp, and a cat\npeople: none"})
	c := bustest.Next(t, h.cues, wait)
	if c.DescriptionID != id || c.Colour != "deep blue" || c.Mood != "calm" || c.Energy != "low" || c.People != "none" ||
		strings.Join(c.Objects, "|") != "desk|lamp|a cat" {
		t.Fatalf("cue %+v", c)
	}
	if d := bustest.Next(t, h.decisions, wait); d.Reason != bus.ReasonDirector {
		t.Fatalf("director decision %+v", d)
	}
	// Asked, the director says its cues.
	fakeInference(t, h.pub, func(bus.DescribeRequest) string { return "colour: red\nmood: tense" })
	if rep := h.ctl(bus.Control{Command: bus.ControlDescribe}); !rep.OK || rep.Prompt.Preset != "director" {
		t.Fatalf("describe: %+v", rep)
	}
	if u := bustest.Next(t, h.utterances, wait); u.Text != "Colour: red. Mood: tense." {
		t.Fatalf("director said %q", u.Text)
	}
}

func TestStageRereadsThePromptFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "prompt.txt")
	if err := os.WriteFile(path, []byte("Count the chairs.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h := startStage(t, Config{PromptFile: path, PromptPoll: 10 * time.Millisecond})
	if rep := h.ctl(bus.Control{Command: bus.ControlStatus}); rep.Prompt.Text != "Count the chairs." || rep.Prompt.Preset != "file" {
		t.Fatalf("status prompt %+v", rep.Prompt)
	}
	if err := os.WriteFile(path, []byte("Count the tables, please.\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if p := bustest.Next(t, h.prompts, wait); p.Text != "Count the tables, please." {
		t.Fatalf("new prompt %+v", p)
	}
}

func TestStageConfigErrors(t *testing.T) {
	srv := bustest.Server(t)
	c := bustest.Conn(t, srv, "n")
	for _, cfg := range []Config{
		{Mode: "loud"},
		{Prompt: "poetry"},
		{PromptFile: filepath.Join(t.TempDir(), "missing.txt")},
		{Similarity: -1},
	} {
		if _, err := New(c, cfg); err == nil {
			t.Errorf("New(%+v) accepted a bad config", cfg)
		}
	}
}

func TestStageResendsAnUtteranceThatRacedAResume(t *testing.T) {
	h := startStage(t, Config{})
	h.describe(bus.Description{Text: "A red kite in a blue sky."})
	first := bustest.Next(t, h.utterances, wait)
	bustest.Next(t, h.decisions, wait)
	h.ctl(bus.Control{Command: bus.ControlPause})
	h.ctl(bus.Control{Command: bus.ControlRepeat}) // resumes, then says it again
	u := bustest.Next(t, h.utterances, wait)
	if u.Text != first.Text {
		t.Fatalf("repeat said %q", u.Text)
	}
	// The speech stage saw the utterance before the resume and dropped it as paused.
	drop := func(id string) {
		if err := h.pub.PublishEvent(bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: id, State: bus.SpeechDropped, Reason: "paused"}); err != nil {
			t.Fatal(err)
		}
	}
	drop(u.ID)
	again := bustest.Next(t, h.utterances, wait)
	if again.Text != u.Text || again.ID == u.ID || again.Priority != bus.PriorityUrgent {
		t.Fatalf("resent %+v after %+v", again, u)
	}
	drop(again.ID) // sent once more at most
	h.noMore()
}

// BenchmarkStageDescriptionToUtterance measures what the narrator adds between a final
// description on the bus and its utterance on the bus: decode, policy, encode, two publishes,
// over the embedded server.
func BenchmarkStageDescriptionToUtterance(b *testing.B) {
	srv := bustest.Server(b)
	pub := bustest.Conn(b, srv, "bench")
	utterances := bustest.Collect[bus.Utterance](b, pub, bus.SubjectUtterances, 16)
	s, err := New(bustest.Conn(b, srv, "narrator"), Config{Similarity: 1, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() { cancel(); <-done }()
	words := strings.Fields("red blue green yellow black white orange purple brown grey pink gold")
	for i := 0; b.Loop(); i++ {
		text := fmt.Sprintf("A %s box and a %s ball lie on a table near %d chairs.", words[i%len(words)], words[(i/len(words))%len(words)], i)
		if err := pub.PublishEvent(bus.DescriptionSubject("cam0"), bus.Description{ID: bus.NewID(), Camera: "cam0", Text: text, CapturedAt: time.Now()}); err != nil {
			b.Fatal(err)
		}
		if u := bustest.Next(b, utterances, wait); u.Text != text {
			b.Fatalf("said %q, want %q", u.Text, text)
		}
	}
}

func TestDescribeRequestsInFlightAreBounded(t *testing.T) {
	h := startStage(t, Config{RequestTimeout: 3 * time.Second})
	// An inference stage that takes describe requests and never answers them.
	silent, err := bus.SubscribeRequests[bus.DescribeRequest](h.pub, bus.SubjectDescribe, bus.QueueConfig{Name: "silent", Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	h.pub.Flush()
	var wg sync.WaitGroup
	for range maxPending { // one at a time, so the stage's control queue never overflows
		wg.Go(func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			var rep bus.ControlReply
			h.pub.RequestEvent(ctx, bus.SubjectControl, bus.Control{ID: bus.NewID(), Command: bus.ControlDescribe}, &rep)
		})
		bustest.Next(t, silent, wait)
	}
	rep := h.ctl(bus.Control{Command: bus.ControlDescribe})
	if rep.OK || !strings.Contains(rep.Error, "busy") {
		t.Fatalf("describe with %d requests in flight: %+v, want a busy error", maxPending, rep)
	}
	wg.Wait()
}
