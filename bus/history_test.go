package bus_test

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// recorder starts a recorder on c for the test's lifetime.
func recorder(t *testing.T, c *bus.Conn, cfg bus.RecorderConfig) *bus.Counters {
	t.Helper()
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	r, err := bus.NewRecorder(c, cfg)
	if err != nil {
		t.Fatalf("NewRecorder: %v", err)
	}
	bustest.Run(t, r)
	if err := r.Err(); err != nil {
		t.Fatalf("recorder: %v", err)
	}
	return cfg.Counters
}

func readHistory(t *testing.T, c *bus.Conn, q bus.HistoryQuery) []bus.HistoryEvent {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	var got []bus.HistoryEvent
	if err := bus.ReadHistory(ctx, c, q, func(e bus.HistoryEvent) error {
		got = append(got, e)
		return nil
	}); err != nil {
		t.Fatalf("ReadHistory: %v", err)
	}
	return got
}

func waitRecorded(t *testing.T, counters *bus.Counters, n uint64) {
	t.Helper()
	bustest.Eventually(t, 5*time.Second, fmt.Sprintf("%d events recorded", n), func() bool {
		return counters.Counter(bus.CounterHistoryRecorded).Load() >= n
	})
}

func description(id, camera, text string, partial bool) bus.Description {
	return bus.Description{ID: id, Camera: camera, FrameID: "f-" + id, Partial: partial, Text: text, Backend: "heuristic",
		CapturedAt: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)}
}

func TestHistoryKeepsFinalEventsInOrderAndTheLatestPerCamera(t *testing.T) {
	srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	pub, rec, reader := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "recorder"), bustest.Conn(t, srv, "reader")
	counters := recorder(t, rec, bus.RecorderConfig{})

	events := []struct {
		subject string
		body    any
	}{
		{bus.SourceSubject("door"), bus.SourceEvent{ID: "s1", Camera: "door", State: bus.SourceUp}},
		{bus.DescriptionSubject("door"), description("d1", "door", "A red", true)},
		{bus.DescriptionSubject("door"), description("d1", "door", "A red box.", false)},
		{bus.SubjectDecisions, bus.Decision{ID: "x1", Camera: "door", DescriptionID: "d1", Text: "A red box.", Action: bus.ActionSpeak, UtteranceID: "u1"}},
		{bus.SubjectUtterances, bus.Utterance{ID: "u1", Camera: "door", DescriptionID: "d1", Text: "A red box."}},
		{bus.DescriptionSubject("yard"), description("d2", "yard", "A cat.", false)},
		{bus.SubjectSpeech, bus.SpeechEvent{ID: "e1", UtteranceID: "u1", Camera: "door", State: bus.SpeechStarted, Text: "A red box."}},
		{bus.CueSubject("yard"), bus.Cue{ID: "c1", Camera: "yard", DescriptionID: "d2", All: map[string]string{"mood": "calm"}}},
		{bus.SubjectWorkers, bus.WorkerState{ID: "w1", Worker: "mlx", State: bus.WorkerReady}},
		{bus.DescriptionSubject("door"), description("d3", "door", "A blue box.", false)},
		{bus.SubjectControl, bus.Control{ID: "k1", Command: bus.ControlStatus}}, // not kept
	}
	for _, e := range events {
		if err := pub.PublishEvent(e.subject, e.body); err != nil {
			t.Fatal(err)
		}
	}
	waitRecorded(t, counters, 9)
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	all := readHistory(t, reader, bus.HistoryQuery{})
	var got []string
	for _, e := range all {
		got = append(got, strings.TrimPrefix(e.Subject, bus.Prefix+"."))
	}
	want := "sources.door descriptions.door decisions utterances descriptions.yard speech cues.yard workers descriptions.door"
	if strings.Join(got, " ") != want {
		t.Fatalf("history:\n got %s\nwant %s", strings.Join(got, " "), want)
	}
	for i := 1; i < len(all); i++ {
		if all[i].Seq <= all[i-1].Seq || all[i].At.Before(all[i-1].At) {
			t.Fatalf("events out of order: %+v then %+v", all[i-1], all[i])
		}
	}

	door := readHistory(t, reader, bus.HistoryQuery{Camera: "door", Since: time.Minute})
	if len(door) != 6 {
		t.Fatalf("--camera door: %d events, want 6", len(door))
	}

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	bustest.Eventually(t, 5*time.Second, "the latest description of door to be d3", func() bool {
		latest, err := bus.ReadLatest(ctx, reader)
		return err == nil && len(latest) == 2 && latest[0].Description != nil && latest[0].Description.ID == "d3"
	})
	latest, _ := bus.ReadLatest(ctx, reader)
	door0, yard := latest[0], latest[1]
	if door0.Camera != "door" || door0.Decision == nil || door0.Decision.ID != "x1" || door0.Utterance == nil || door0.Utterance.ID != "u1" {
		t.Fatalf("latest of door: %+v", door0)
	}
	if yard.Camera != "yard" || yard.Description == nil || yard.Description.Text != "A cat." || yard.Decision != nil {
		t.Fatalf("latest of yard: %+v", yard)
	}
}

func TestTwoRecordersKeepOneCopy(t *testing.T) {
	srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	pub := bustest.Conn(t, srv, "pub")
	a := recorder(t, bustest.Conn(t, srv, "a"), bus.RecorderConfig{})
	b := recorder(t, bustest.Conn(t, srv, "b"), bus.RecorderConfig{})
	const n = 20
	for i := range n {
		if err := pub.PublishEvent(bus.SubjectDecisions, bus.Decision{ID: fmt.Sprint(i), Camera: "cam0"}); err != nil {
			t.Fatal(err)
		}
	}
	seen := func(c *bus.Counters) uint64 {
		return c.Counter(bus.CounterHistoryRecorded).Load() + c.Counter(bus.CounterHistoryDuplicates).Load()
	}
	bustest.Eventually(t, 10*time.Second, "both recorders to have written every event", func() bool {
		return seen(a) == n && seen(b) == n
	})
	if kept := a.Counter(bus.CounterHistoryRecorded).Load() + b.Counter(bus.CounterHistoryRecorded).Load(); kept != n {
		t.Fatalf("the recorders kept %d events, want %d", kept, n)
	}
	if kept := readHistory(t, pub, bus.HistoryQuery{}); len(kept) != n {
		t.Fatalf("two recorders kept %d events, want %d (no duplicates)", len(kept), n)
	}
}

func TestHistoryTinyCapDropsTheOldestAndCountsThem(t *testing.T) {
	srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	pub, rec := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "recorder")
	const capBytes = 4096
	counters := recorder(t, rec, bus.RecorderConfig{MaxBytes: capBytes, CheckEvery: 10 * time.Millisecond})
	const n = 100
	for i := range n {
		d := bus.Decision{ID: fmt.Sprintf("x%03d", i), Camera: "cam0", Text: strings.Repeat("words ", 20), Action: bus.ActionSuppress, Reason: bus.ReasonDuplicate}
		if err := pub.PublishEvent(bus.SubjectDecisions, d); err != nil {
			t.Fatal(err)
		}
	}
	waitRecorded(t, counters, n)
	capped := counters.Counter(bus.CounterHistoryCapped)
	bustest.Eventually(t, 5*time.Second, "the capped events to be counted", func() bool {
		return capped.Load() > 0
	})
	kept := readHistory(t, rec, bus.HistoryQuery{})
	if len(kept) == 0 || len(kept) >= n {
		t.Fatalf("kept %d of %d events under a %d-byte cap", len(kept), n, capBytes)
	}
	bytes := 0
	for _, e := range kept {
		bytes += e.Size
	}
	if bytes > capBytes {
		t.Fatalf("kept %d bytes of bodies under a %d-byte cap", bytes, capBytes)
	}
	if last := kept[len(kept)-1]; !strings.Contains(string(last.Data), fmt.Sprintf("x%03d", n-1)) {
		t.Fatalf("the newest event is not kept: %s", last.Data)
	}
	if first := kept[0]; strings.Contains(string(first.Data), `"x000"`) {
		t.Fatalf("the oldest event is still kept")
	}
	bustest.Eventually(t, 5*time.Second, "every dropped event to be counted", func() bool {
		return capped.Load() == uint64(n-len(kept))
	})
	if e := counters.Counter(bus.CounterHistoryExpired).Load(); e != 0 {
		t.Fatalf("%d events counted as expired, want 0 (they were pushed out by the cap)", e)
	}
	if !bus.IsLoss(bus.CounterHistoryCapped) {
		t.Fatal("capped events are not counted as a loss")
	}
}

func TestHistoryExpiresEventsOlderThanMaxAge(t *testing.T) {
	srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	pub, rec := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "recorder")
	counters := recorder(t, rec, bus.RecorderConfig{MaxAge: time.Second, CheckEvery: 10 * time.Millisecond})
	if err := pub.PublishEvent(bus.SubjectDecisions, bus.Decision{ID: "x1", Camera: "cam0"}); err != nil {
		t.Fatal(err)
	}
	waitRecorded(t, counters, 1)
	bustest.Eventually(t, 10*time.Second, "the event to expire and be counted", func() bool {
		return counters.Counter(bus.CounterHistoryExpired).Load() == 1
	})
	if kept := readHistory(t, rec, bus.HistoryQuery{}); len(kept) != 0 {
		t.Fatalf("%d events kept past their age", len(kept))
	}
	if c := counters.Counter(bus.CounterHistoryCapped).Load(); c != 0 {
		t.Fatalf("an expired event was counted as capped")
	}
}

func TestHistorySurvivesARestartOnTheSameDirectory(t *testing.T) {
	dir := t.TempDir()
	srv, err := bus.StartServer(bus.ServerConfig{StoreDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := srv.Connect("pub")
	if err != nil {
		t.Fatal(err)
	}
	rec, err := srv.Connect("recorder")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	r, err := bus.NewRecorder(rec, bus.RecorderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	rctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- r.Run(rctx) }()
	if err := pub.PublishEvent(bus.DescriptionSubject("cam0"), description("d1", "cam0", "A red box.", false)); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, "the description to be kept", func() bool {
		l, err := bus.ReadLatest(ctx, pub)
		return err == nil && len(l) == 1
	})
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	pub.Close()
	rec.Close()
	srv.Shutdown()

	again := bustest.ServerWith(t, bus.ServerConfig{StoreDir: dir})
	c := bustest.Conn(t, again, "reader")
	latest, err := bus.ReadLatest(ctx, c) // before any recorder runs
	if err != nil || len(latest) != 1 || latest[0].Description == nil || latest[0].Description.Text != "A red box." {
		t.Fatalf("latest after restart: %+v, %v", latest, err)
	}
	if kept := readHistory(t, c, bus.HistoryQuery{Since: time.Hour}); len(kept) != 1 || kept[0].Subject != bus.DescriptionSubject("cam0") {
		t.Fatalf("history after restart: %+v", kept)
	}
}

func TestHistoryNeedsJetStream(t *testing.T) {
	srv := bustest.Server(t) // no StoreDir: no JetStream
	c := bustest.Conn(t, srv, "c")
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := runRecorder(t, c); !errors.Is(err, bus.ErrNoJetStream) {
		t.Fatalf("recorder without JetStream: %v, want ErrNoJetStream", err)
	}
	if err := bus.ReadHistory(ctx, c, bus.HistoryQuery{}, func(bus.HistoryEvent) error { return nil }); !errors.Is(err, bus.ErrNoJetStream) {
		t.Fatalf("ReadHistory without JetStream: %v, want ErrNoJetStream", err)
	}
	js := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	if _, err := bus.ReadLatest(ctx, bustest.Conn(t, js, "c")); !errors.Is(err, bus.ErrNoHistory) {
		t.Fatalf("ReadLatest before any recorder: %v, want ErrNoHistory", err)
	}
}

func TestASecondServerOnAHeldDirectoryRunsWithoutHistory(t *testing.T) {
	dir := t.TempDir()
	bustest.ServerWith(t, bus.ServerConfig{StoreDir: dir})
	second := bustest.ServerWith(t, bus.ServerConfig{StoreDir: dir})
	if second.JetStream() {
		t.Fatal("the second server has JetStream on a directory the first holds")
	}
	if err := runRecorder(t, bustest.Conn(t, second, "c")); !errors.Is(err, bus.ErrNoJetStream) {
		t.Fatalf("recorder on the second server: %v, want ErrNoJetStream", err)
	}
}

// runRecorder runs a recorder on c for the test's lifetime and returns its set-up error.
func runRecorder(t *testing.T, c *bus.Conn) error {
	t.Helper()
	r, err := bus.NewRecorder(c, bus.RecorderConfig{})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, r)
	return r.Err()
}
