package web

import "time"

// What the page receives: one Server-Sent Event per change, named by its type, its data one of
// these as JSON. A page that connects first receives a snapshot.

// SSE event names.
const (
	evSnapshot    = "snapshot"    // snapshot: everything a page opened late needs
	evCaption     = "caption"     // caption: a line being said
	evDescription = "description" // description: a final description, with its timings
	evFrame       = "frame"       // frameRef: the described frame can now be fetched
	evSuppressed  = "suppressed"  // suppressed: a description not said, and why
	evStatus      = "status"      // status: the run's state changed
)

// caption is one spoken line.
type caption struct {
	ID           string    `json:"id"` // the utterance id
	Text         string    `json:"text"`
	Camera       string    `json:"camera,omitempty"`
	Urgent       bool      `json:"urgent"`
	Kind         string    `json:"kind"`            // narration or announcement
	Topic        string    `json:"topic,omitempty"` // what an announcement is about
	At           time.Time `json:"at"`
	GlassToEarMS float64   `json:"glass_to_ear_ms,omitempty"`
}

// description is a final description of a frame, with what the developer wants to see.
type description struct {
	ID         string    `json:"id"`
	Camera     string    `json:"camera"`
	FrameID    string    `json:"frame_id"`
	Text       string    `json:"text"`
	Backend    string    `json:"backend"`
	Model      string    `json:"model,omitempty"`
	IsModel    bool      `json:"is_model"`
	Error      string    `json:"error,omitempty"`
	Cancelled  string    `json:"cancelled,omitempty"`
	RequestID  string    `json:"request_id,omitempty"`
	Reason     string    `json:"frame_reason,omitempty"`
	CapturedAt time.Time `json:"captured_at"`
	// Milliseconds: queued (captured → inference started), first token (started → first
	// token), inference (started → completed), total (captured → completed).
	QueuedMS     float64 `json:"queued_ms"`
	FirstTokenMS float64 `json:"first_token_ms,omitempty"`
	InferenceMS  float64 `json:"inference_ms"`
	TotalMS      float64 `json:"total_ms"`
	// FrameURL fetches the described frame, when it is kept (see frameRef).
	FrameURL string `json:"frame_url,omitempty"`
}

// frameRef says that the frame a description described can be fetched now.
type frameRef struct {
	Camera        string `json:"camera"`
	FrameID       string `json:"frame_id"`
	DescriptionID string `json:"description_id"`
	URL           string `json:"url"`
	Width         int    `json:"width"`
	Height        int    `json:"height"`
}

// suppressed is a description the narrator decided not to say.
type suppressed struct {
	ID     string    `json:"id"`
	Camera string    `json:"camera"`
	Text   string    `json:"text"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
}

// sourceState is one camera's source.
type sourceState struct {
	State  string    `json:"state"`
	Source string    `json:"source,omitempty"`
	Error  string    `json:"error,omitempty"`
	At     time.Time `json:"at"`
}

// status is the run's state as the page shows it.
type status struct {
	// Bus is "connected" or "disconnected" (the bridge's connection is retrying).
	Bus     string                 `json:"bus"`
	Sources map[string]sourceState `json:"sources"`
	Backend string                 `json:"backend,omitempty"`
	Model   string                 `json:"model,omitempty"`
	// Worker is the model worker's state and reason, when a backend runs one.
	Worker       string `json:"worker,omitempty"`
	WorkerReason string `json:"worker_reason,omitempty"`
	// Speech is idle, speaking, or the last utterance's fate; SpeechBackend who speaks.
	Speech        string  `json:"speech"`
	SpeechBackend string  `json:"speech_backend,omitempty"`
	GlassToEarMS  float64 `json:"glass_to_ear_ms,omitempty"`
	// From the narrator's latest control reply (empty until one arrives).
	Mode      string `json:"mode,omitempty"`
	Verbosity string `json:"verbosity,omitempty"`
	Paused    bool   `json:"paused"`
	Prompt    string `json:"prompt,omitempty"`
	// CaptionsFrom is CaptionsFromSpeech or CaptionsFromUtterances.
	CaptionsFrom string `json:"captions_from"`
}

// snapshot is what a page receives when it connects.
type snapshot struct {
	Status        status        `json:"status"`
	Captions      []caption     `json:"captions"`     // oldest first, at most History
	Descriptions  []description `json:"descriptions"` // the newest per camera, oldest first
	Suppressed    []suppressed  `json:"suppressed"`   // oldest first, at most Suppressed
	HistoryMax    int           `json:"history_max"`
	SuppressedMax int           `json:"suppressed_max"`
}
