package speech

import (
	"encoding/json"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// EarconRule plays an earcon when an event on the bus calls for it.
type EarconRule struct {
	// Subject is the NATS subject to watch (wildcards allowed).
	Subject string
	// Earcon is what to play.
	Earcon Earcon
	// Match reports whether m calls for the earcon. A non-empty key plays it once per run of
	// equal keys (a streamed answer's partial descriptions share one key).
	Match func(m bus.Message) (key string, ok bool)
	// Every, when set, plays the earcon at most once per this interval.
	Every time.Duration
}

// DefaultEarconRules are the earcons the stage plays from bus events:
//   - new_scene: a frame sent because the scene changed (narrator.v1.frames.*, reason changed),
//     at most every 5 seconds;
//   - thinking: the first partial description answering a describe or ask request;
//   - camera_lost: a source event with state down (narrator.v1.sources.*);
//   - model_down: a worker event with state restarting or failed (narrator.v1.workers).
//
// The paused earcon is played on a pause command, without a rule.
func DefaultEarconRules() []EarconRule {
	return []EarconRule{
		{Subject: bus.AllFrames, Earcon: EarconNewScene, Every: 5 * time.Second, Match: func(m bus.Message) (string, bool) {
			return "", m.FrameErr == nil && m.Frame.Reason == bus.FrameChanged
		}},
		{Subject: bus.AllDescriptions, Earcon: EarconThinking, Match: func(m bus.Message) (string, bool) {
			var d bus.Description
			if json.Unmarshal(m.Data, &d) != nil || !d.Partial || d.RequestID == "" {
				return "", false
			}
			return d.RequestID, true
		}},
		{Subject: bus.AllSources, Earcon: EarconCameraLost, Match: func(m bus.Message) (string, bool) {
			var e bus.SourceEvent
			return "", json.Unmarshal(m.Data, &e) == nil && e.State == bus.SourceDown
		}},
		{Subject: bus.SubjectWorkers, Earcon: EarconModelDown, Match: func(m bus.Message) (string, bool) {
			var w bus.WorkerState
			return "", json.Unmarshal(m.Data, &w) == nil && (w.State == bus.WorkerRestarting || w.State == bus.WorkerFailed)
		}},
	}
}
