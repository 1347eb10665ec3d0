// Package eventfmt renders bus events for people and for programs: one short line per event
// (narrator listen, narrator history), one JSON object per event (--json), and the printer
// stage that writes them as they arrive.
package eventfmt

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/narrator"
)

// JSON renders a message as {"subject":…,"data":…}; frames carry their metadata and size
// instead of the image.
func JSON(m bus.Message) string {
	var data any = json.RawMessage(m.Data)
	if bus.IsFrameSubject(m.Subject) || bus.IsSettledFrameSubject(m.Subject) {
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

// HistoryJSON renders a recorded event as {"subject":…,"at":…,"seq":…,"data":…}.
func HistoryJSON(e bus.HistoryEvent) string {
	data := json.RawMessage(e.Data)
	if !json.Valid(data) {
		data, _ = json.Marshal(map[string]any{"error": "not JSON", "bytes": len(e.Data)})
	}
	out, _ := json.Marshal(struct {
		Subject string          `json:"subject"`
		At      time.Time       `json:"at"`
		Seq     uint64          `json:"seq"`
		Data    json.RawMessage `json:"data"`
	}{e.Subject, e.At.UTC(), e.Seq, data})
	return string(out)
}

// Human renders a message that arrived at at as one short line, stamped with the time of
// day. Events a reader does not need line by line (partial descriptions, said decisions,
// finished speech, utterances, describe requests) render as "", which is not printed. An
// event that does not decode, or of a subject without a renderer, is shown by its size.
func Human(m bus.Message, at time.Time) string {
	ts := at.Format("15:04:05.000")
	r := bySubject[m.Subject]
	if kind, _ := bus.SubjectKind(m.Subject); kind != "" {
		r = byKind[kind]
	} else if bus.IsSettledFrameSubject(m.Subject) {
		r = frame // its reason says settled
	}
	body, ok := "", false
	if r != nil {
		body, ok = r(m)
	}
	switch {
	case !ok:
		return fmt.Sprintf("%s %s %d bytes", ts, m.Subject, len(m.Data))
	case body == "":
		return ""
	}
	return ts + " " + body
}

// renderer renders one event without its time stamp; ok is false when it does not decode.
type renderer func(m bus.Message) (line string, ok bool)

// byKind renders the subjects that end in a camera name.
var byKind = map[string]renderer{
	bus.KindFrames:       frame,
	bus.KindDescriptions: description,
	bus.KindSources:      source,
	bus.KindCues:         cue,
}

// bySubject renders the subjects of their own.
var bySubject = map[string]renderer{
	bus.SubjectDecisions:     decision,
	bus.SubjectSpeech:        speech,
	bus.SubjectUtterances:    func(bus.Message) (string, bool) { return "", true },
	bus.SubjectStats:         stats,
	bus.SubjectWorkers:       worker,
	bus.SubjectControl:       control,
	bus.SubjectSpeechControl: speechControl,
	bus.SubjectDescribe:      func(bus.Message) (string, bool) { return "", true }, // the control that caused it was printed
	bus.SubjectPrompt:        prompt,
}

// decode is a renderer of the event type T.
func decode[T any](render func(T) string) renderer {
	return func(m bus.Message) (string, bool) {
		var v T
		if json.Unmarshal(m.Data, &v) != nil {
			return "", false
		}
		return render(v), true
	}
}

func frame(m bus.Message) (string, bool) {
	if m.FrameErr != nil {
		return fmt.Sprintf("%s bad frame: %v", m.Subject, m.FrameErr), true
	}
	f := m.Frame
	return fmt.Sprintf("%s frame #%d %s (distance %d) %dx%d %d KB", f.Camera, f.Seq, f.Reason, f.Distance, f.Width, f.Height, m.Size/1024), true
}

var description = decode(func(d bus.Description) string {
	switch {
	case d.Partial:
		return ""
	case d.Error != "":
		return fmt.Sprintf("%s description failed [%s]: %s", d.Camera, d.Backend, d.Error)
	}
	return fmt.Sprintf("%s description [%s, %d ms]: %s", d.Camera, d.Backend, d.CompletedAt.Sub(d.InferenceStartedAt).Milliseconds(), d.Text)
})

var decision = decode(func(d bus.Decision) string {
	if d.Action != bus.ActionSuppress {
		return "" // what is said shows as speech
	}
	return fmt.Sprintf("%s suppressed (%s): %s", d.Camera, d.Reason, d.Text)
})

var speech = decode(func(e bus.SpeechEvent) string {
	switch e.State {
	case bus.SpeechStarted:
		return fmt.Sprintf("%s speaking [%s, glass-to-ear %.0f ms]: %s", e.Camera, e.Backend, e.GlassToEarMS, e.Text)
	case bus.SpeechFinished:
		return ""
	}
	return fmt.Sprintf("%s speech %s (%s): %s", e.Camera, e.State, e.Reason, e.Text)
})

var stats = decode(func(s bus.Stats) string { return fmt.Sprintf("stats %s: %v", s.Process, s.Counters) })

var worker = decode(func(w bus.WorkerState) string {
	switch w.State {
	case bus.WorkerReady:
		return fmt.Sprintf("worker %s ready: %s loaded in %.1f s, warm-up %.2f s", w.Worker, w.Model, w.LoadMS/1000, w.WarmupMS/1000)
	case bus.WorkerRestarting, bus.WorkerFailed:
		return fmt.Sprintf("worker %s %s (%s): %s", w.Worker, w.State, w.Code, w.Reason)
	}
	return fmt.Sprintf("worker %s %s", w.Worker, w.State)
})

var control = decode(func(c bus.Control) string {
	return strings.TrimSpace(fmt.Sprintf("control %s %s%s", c.Command, c.Verbosity, c.Text))
})

var speechControl = decode(func(c bus.SpeechControl) string { return fmt.Sprintf("speech %s (%s)", c.Command, c.Reason) })

var prompt = decode(func(p bus.Prompt) string { return fmt.Sprintf("prompt (%s): %s", p.Preset, p.Text) })

var source = decode(func(e bus.SourceEvent) string {
	switch {
	case e.State == bus.SourceDown:
		return fmt.Sprintf("%s source down: %s (retrying in %d ms)", e.Camera, e.Error, e.RetryInMS)
	case e.State == bus.SourceUp && e.Attempt > 0:
		return fmt.Sprintf("%s source back after %.1f s: %s", e.Camera, e.DownForMS/1000, e.Source)
	}
	return fmt.Sprintf("%s source %s: %s", e.Camera, e.State, e.Source)
})

var cue = decode(func(c bus.Cue) string { return fmt.Sprintf("%s cues: %s", c.Camera, narrator.RenderCues(c)) })
