package eventfmt_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/eventfmt"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func event(t testing.TB, subject string, v any) bus.Message {
	t.Helper()
	data, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return bus.Message{Subject: subject, Data: data, Size: len(data)}
}

var at = time.Date(2026, 11, 29, 8, 30, 1, 250_000_000, time.UTC)

// humanCases are the lines listen and history print for each kind of event (also fuzz seeds).
func humanCases(t testing.TB) []struct {
	m    bus.Message
	want string
} {
	t0 := at.Add(-time.Second)
	return []struct {
		m    bus.Message
		want string
	}{
		{bus.Message{Subject: bus.FrameSubject("cam0"), Size: 40 * 1024, Frame: bus.Frame{Camera: "cam0", Seq: 3, Reason: bus.FrameChanged, Distance: 14, Width: 1024, Height: 576}},
			"08:30:01.250 cam0 frame #3 changed (distance 14) 1024x576 40 KB"},
		{bus.Message{Subject: bus.FrameSubject("cam0"), FrameErr: errors.New("no header")}, "08:30:01.250 narrator.v1.frames.cam0 bad frame: no header"},
		{bus.Message{Subject: bus.SettledFrameSubject("cam0"), Size: 40 * 1024, Frame: bus.Frame{Camera: "cam0", Seq: 4, Reason: bus.FrameSettled, Distance: 1, Width: 1024, Height: 576}},
			"08:30:01.250 cam0 frame #4 settled (distance 1) 1024x576 40 KB"},
		{event(t, bus.DescriptionSubject("door"), bus.Description{Camera: "door", Backend: "mlx", Text: "A cat.", InferenceStartedAt: t0, CompletedAt: t0.Add(420 * time.Millisecond)}),
			"08:30:01.250 door description [mlx, 420 ms]: A cat."},
		{event(t, bus.DescriptionSubject("door"), bus.Description{Camera: "door", Backend: "mlx", Error: "worker died"}), "08:30:01.250 door description failed [mlx]: worker died"},
		{event(t, bus.DescriptionSubject("door"), bus.Description{Camera: "door", Text: "A c", Partial: true}), ""},
		{event(t, bus.SubjectDecisions, bus.Decision{Camera: "cam0", Action: bus.ActionSuppress, Reason: "repeat", Text: "A cat."}), "08:30:01.250 cam0 suppressed (repeat): A cat."},
		{event(t, bus.SubjectDecisions, bus.Decision{Camera: "cam0", Action: "say", Text: "A cat."}), ""},
		{event(t, bus.SubjectSpeech, bus.SpeechEvent{Camera: "cam0", State: bus.SpeechStarted, Backend: "espeak-ng", GlassToEarMS: 812.4, Text: "A cat."}),
			"08:30:01.250 cam0 speaking [espeak-ng, glass-to-ear 812 ms]: A cat."},
		{event(t, bus.SubjectSpeech, bus.SpeechEvent{Camera: "cam0", State: bus.SpeechFinished}), ""},
		{event(t, bus.SubjectSpeech, bus.SpeechEvent{Camera: "cam0", State: "interrupted", Reason: "urgent", Text: "A cat."}), "08:30:01.250 cam0 speech interrupted (urgent): A cat."},
		{event(t, bus.SubjectUtterances, bus.Utterance{Text: "A cat."}), ""},
		{bus.Message{Subject: bus.SubjectUtterances, Data: []byte("not json")}, ""},
		{event(t, bus.SubjectStats, bus.Stats{Process: "narrator run", Counters: map[string]uint64{"capture.sent": 2}}), "08:30:01.250 stats narrator run: map[capture.sent:2]"},
		{event(t, bus.SubjectWorkers, bus.WorkerState{Worker: "mlx", State: bus.WorkerReady, Model: "m", LoadMS: 2500, WarmupMS: 120}), "08:30:01.250 worker mlx ready: m loaded in 2.5 s, warm-up 0.12 s"},
		{event(t, bus.SubjectWorkers, bus.WorkerState{Worker: "mlx", State: bus.WorkerFailed, Code: "oom", Reason: "out of memory"}), "08:30:01.250 worker mlx failed (oom): out of memory"},
		{event(t, bus.SubjectWorkers, bus.WorkerState{Worker: "mlx", State: "loading"}), "08:30:01.250 worker mlx loading"},
		{event(t, bus.SubjectControl, bus.Control{Command: bus.ControlPause}), "08:30:01.250 control pause"},
		{event(t, bus.SubjectControl, bus.Control{Command: bus.ControlAsk, Text: "what colour?"}), "08:30:01.250 control ask what colour?"},
		{event(t, bus.SubjectSpeechControl, bus.SpeechControl{Command: "stop", Reason: "paused"}), "08:30:01.250 speech stop (paused)"},
		{event(t, bus.SubjectDescribe, map[string]string{"id": "r1"}), ""},
		{event(t, bus.SubjectPrompt, bus.Prompt{Preset: "describe", Text: "Describe it."}), "08:30:01.250 prompt (describe): Describe it."},
		{event(t, bus.SourceSubject("door"), bus.SourceEvent{Camera: "door", State: bus.SourceDown, Error: "refused", RetryInMS: 500}), "08:30:01.250 door source down: refused (retrying in 500 ms)"},
		{event(t, bus.SourceSubject("door"), bus.SourceEvent{Camera: "door", State: bus.SourceUp, Attempt: 2, DownForMS: 1500, Source: "rtsp"}), "08:30:01.250 door source back after 1.5 s: rtsp"},
		{event(t, bus.SourceSubject("door"), bus.SourceEvent{Camera: "door", State: bus.SourceUp, Source: "rtsp"}), "08:30:01.250 door source up: rtsp"},
		{event(t, bus.CueSubject("cam0"), bus.Cue{Camera: "cam0", All: map[string]string{"mood": "calm", "colour": "blue"}}), "08:30:01.250 cam0 cues: Colour: blue. Mood: calm."},
		{bus.Message{Subject: bus.SubjectDecisions, Data: []byte("{broken")}, "08:30:01.250 narrator.v1.decisions 7 bytes"},
		{bus.Message{Subject: bus.SubjectInferenceStatus, Data: []byte("{}")}, "08:30:01.250 narrator.v1.inference.status 2 bytes"},
	}
}

func TestHuman(t *testing.T) {
	for _, c := range humanCases(t) {
		if got := eventfmt.Human(c.m, at); got != c.want {
			t.Errorf("Human(%s %s):\n got %q\nwant %q", c.m.Subject, c.m.Data, got, c.want)
		}
	}
}

func TestJSON(t *testing.T) {
	cases := []struct {
		m    bus.Message
		want string
	}{
		{bus.Message{Subject: bus.SubjectDecisions, Data: []byte(`{"action":"say"}`)}, `{"subject":"narrator.v1.decisions","data":{"action":"say"}}`},
		{bus.Message{Subject: bus.SubjectDecisions, Data: []byte(`{broken`)}, `{"subject":"narrator.v1.decisions","data":{"bytes":7,"error":"not JSON"}}`},
		{bus.Message{Subject: bus.FrameSubject("c"), Size: 9, Frame: bus.Frame{ID: "f", Camera: "c", Seq: 1, CapturedAt: at, Width: 2, Height: 1, Reason: bus.FrameFirst}},
			`{"subject":"narrator.v1.frames.c","data":{"id":"f","camera":"c","seq":1,"captured_at":"2026-11-29T08:30:01.25Z","width":2,"height":1,"reason":"first","distance":0,"jpeg_bytes":9}}`},
		{bus.Message{Subject: bus.FrameSubject("c"), Size: 3, FrameErr: errors.New("short")}, `{"subject":"narrator.v1.frames.c","data":{"bytes":3,"error":"short"}}`},
		{bus.Message{Subject: bus.SettledFrameSubject("c"), Size: 9, Frame: bus.Frame{ID: "f", Camera: "c", Seq: 2, CapturedAt: at, Width: 2, Height: 1, Reason: bus.FrameSettled}},
			`{"subject":"narrator.v1.frames.c.settled","data":{"id":"f","camera":"c","seq":2,"captured_at":"2026-11-29T08:30:01.25Z","width":2,"height":1,"reason":"settled","distance":0,"jpeg_bytes":9}}`},
	}
	for _, c := range cases {
		if got := eventfmt.JSON(c.m); got != c.want {
			t.Errorf("JSON(%s):\n got %s\nwant %s", c.m.Subject, got, c.want)
		}
	}
}

func TestHistoryJSON(t *testing.T) {
	e := bus.HistoryEvent{Message: bus.Message{Subject: bus.SubjectSpeech, Data: []byte(`{"state":"started"}`)}, At: at, Seq: 7}
	if got, want := eventfmt.HistoryJSON(e), `{"subject":"narrator.v1.speech","at":"2026-11-29T08:30:01.25Z","seq":7,"data":{"state":"started"}}`; got != want {
		t.Errorf("HistoryJSON:\n got %s\nwant %s", got, want)
	}
	e.Data = []byte("\xff")
	if got := eventfmt.HistoryJSON(e); !strings.Contains(got, `"data":{"bytes":1,"error":"not JSON"}`) {
		t.Errorf("HistoryJSON of a payload that is not JSON: %s", got)
	}
}

// FuzzHuman: any payload on any subject renders as at most one line, without panicking; JSON
// always renders valid JSON.
func FuzzHuman(f *testing.F) {
	for _, c := range humanCases(f) {
		f.Add(c.m.Subject, c.m.Data)
	}
	f.Fuzz(func(t *testing.T, subject string, data []byte) {
		m := bus.Message{Subject: subject, Data: data, Size: len(data)}
		line := eventfmt.Human(m, at)
		if strings.Count(line, "\n") > strings.Count(string(data), "\n")+strings.Count(subject, "\n") {
			t.Errorf("Human(%q, %q) = %q: more lines than its input holds", subject, data, line)
		}
		if j := eventfmt.JSON(m); !json.Valid([]byte(j)) {
			t.Errorf("JSON(%q, %q) = %q: not JSON", subject, data, j)
		}
	})
}
