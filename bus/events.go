package bus

import (
	"errors"
	"fmt"
	"strconv"
	"time"
)

// Frame is one camera image on its way to inference: a JPEG payload with its metadata carried
// in NATS headers (see docs/events.md).
type Frame struct {
	ID         string    `json:"id"`          // unique frame id
	Camera     string    `json:"camera"`      // camera name, also the last subject token
	Seq        uint64    `json:"seq"`         // frames published by this camera so far, from 1
	CapturedAt time.Time `json:"captured_at"` // when the source delivered the frame
	Width      int       `json:"width"`       // JPEG width in pixels
	Height     int       `json:"height"`      // JPEG height in pixels
	Reason     string    `json:"reason"`      // why it was sent: FrameFirst, FrameChanged or FrameHeartbeat
	Distance   int       `json:"distance"`    // Hamming distance of its perceptual hash to the last frame sent
	JPEG       []byte    `json:"-"`           // the image, the message payload
	// Large marks a change far larger than motion: a hash distance of at least twice the
	// capture gate's threshold, or the whole frame's brightness or colour moved past the
	// gate's thresholds (the lights went off). Steady motion is never Large.
	Large bool `json:"large,omitempty"`
}

// Reasons a frame is sent.
const (
	FrameFirst     = "first"
	FrameChanged   = "changed"
	FrameHeartbeat = "heartbeat"
)

// Frame header names.
const (
	hdrID         = "Narrator-Frame-Id"
	hdrCamera     = "Narrator-Camera"
	hdrSeq        = "Narrator-Seq"
	hdrCapturedAt = "Narrator-Captured-At"
	hdrWidth      = "Narrator-Width"
	hdrHeight     = "Narrator-Height"
	hdrReason     = "Narrator-Reason"
	hdrDistance   = "Narrator-Distance"
	hdrLarge      = "Narrator-Large"
	hdrType       = "Content-Type"
)

// ErrBadFrame is returned for a frame message whose headers or payload are unusable.
var ErrBadFrame = errors.New("bad frame message")

func (f Frame) header() map[string][]string {
	h := map[string][]string{
		hdrID:         {f.ID},
		hdrCamera:     {f.Camera},
		hdrSeq:        {strconv.FormatUint(f.Seq, 10)},
		hdrCapturedAt: {f.CapturedAt.UTC().Format(time.RFC3339Nano)},
		hdrWidth:      {strconv.Itoa(f.Width)},
		hdrHeight:     {strconv.Itoa(f.Height)},
		hdrReason:     {f.Reason},
		hdrDistance:   {strconv.Itoa(f.Distance)},
		hdrType:       {"image/jpeg"},
	}
	if f.Large {
		h[hdrLarge] = []string{"true"}
	}
	return h
}

// DecodeFrame rebuilds a Frame from a message's headers and payload.
func DecodeFrame(header map[string][]string, data []byte) (Frame, error) {
	get := func(k string) string {
		if v := header[k]; len(v) > 0 {
			return v[0]
		}
		return ""
	}
	f := Frame{ID: get(hdrID), Camera: get(hdrCamera), Reason: get(hdrReason), Large: get(hdrLarge) == "true", JPEG: data}
	if f.ID == "" {
		return Frame{}, fmt.Errorf("%w: no %s header", ErrBadFrame, hdrID)
	}
	if err := ValidateCamera(f.Camera); err != nil {
		return Frame{}, fmt.Errorf("%w: %w", ErrBadFrame, err)
	}
	if t := get(hdrType); t != "image/jpeg" {
		return Frame{}, fmt.Errorf("%w: content type %q, want image/jpeg", ErrBadFrame, t)
	}
	if len(data) < 4 || data[0] != 0xFF || data[1] != 0xD8 {
		return Frame{}, fmt.Errorf("%w: payload of %d bytes is not a JPEG", ErrBadFrame, len(data))
	}
	var err error
	if f.CapturedAt, err = time.Parse(time.RFC3339Nano, get(hdrCapturedAt)); err != nil {
		return Frame{}, fmt.Errorf("%w: %s: %w", ErrBadFrame, hdrCapturedAt, err)
	}
	if f.Seq, err = strconv.ParseUint(get(hdrSeq), 10, 64); err != nil {
		return Frame{}, fmt.Errorf("%w: %s: %w", ErrBadFrame, hdrSeq, err)
	}
	for _, n := range []struct {
		key string
		dst *int
	}{{hdrWidth, &f.Width}, {hdrHeight, &f.Height}, {hdrDistance, &f.Distance}} {
		v, err := strconv.Atoi(get(n.key))
		if err != nil || v < 0 {
			return Frame{}, fmt.Errorf("%w: %s %q is not a count", ErrBadFrame, n.key, get(n.key))
		}
		*n.dst = v
	}
	return f, nil
}

// Description is what a backend said about one frame, on DescriptionSubject(camera). While a
// model streams, Partial events carry the text so far; exactly one final event (Partial false)
// follows, with Error set if the inference failed, unless the inference stage shuts down first.
type Description struct {
	ID                 string         `json:"id"`
	Camera             string         `json:"camera"`
	FrameID            string         `json:"frame_id"`
	Partial            bool           `json:"partial"`
	Text               string         `json:"text"`
	Backend            string         `json:"backend"`
	Model              string         `json:"model,omitempty"`
	IsModel            bool           `json:"is_model"`
	CapturedAt         time.Time      `json:"captured_at"`
	InferenceStartedAt time.Time      `json:"inference_started_at"`
	FirstTokenAt       time.Time      `json:"first_token_at,omitzero"`
	CompletedAt        time.Time      `json:"completed_at,omitzero"`
	Metadata           map[string]any `json:"metadata,omitempty"`
	Error              string         `json:"error,omitempty"`
	// RequestID is the DescribeRequest this description answers (describe now, ask); empty for
	// descriptions of frames as they arrive.
	RequestID string `json:"request_id,omitempty"`
	// Cancelled, on a final description, says why its generation was stopped before it ended
	// (e.g. preempted by a scene change); Error is then set too, and Text is what was generated
	// until then.
	Cancelled string `json:"cancelled,omitempty"`
	// FrameReason and FrameDistance are the frame's Reason and Distance: why capture sent it
	// (FrameFirst, FrameChanged or FrameHeartbeat) and how far its hash moved. The narrator
	// says a description of a real change even when it repeats a scene described long ago.
	FrameReason   string `json:"frame_reason,omitempty"`
	FrameDistance int    `json:"frame_distance,omitempty"`
}

// Actions a Decision takes.
const (
	ActionSpeak    = "speak"
	ActionSuppress = "suppress"
)

// Reasons a description is suppressed, in decisions.
const (
	ReasonDuplicate = "duplicate"
	ReasonEmpty     = "empty"
	ReasonFailed    = "failed"    // the description failed; in speech events, synthesis or playback failed
	ReasonStale     = "stale"     // it could no longer be said before its deadline; in speech events, it could not start before its not_after
	ReasonPaused    = "paused"    // the user paused narration; in speech events, a pause command, or it arrived while paused
	ReasonOnDemand  = "ondemand"  // ondemand mode: only requested descriptions are said
	ReasonDirector  = "director"  // director mode: cues are published, not said
	ReasonCancelled = "cancelled" // the inference stage stopped the generation (the scene changed)
)

// Reasons an utterance is dropped (never started) or interrupted (silenced while playing), in
// speech events, beside ReasonStale, ReasonPaused and ReasonFailed.
const (
	ReasonSuperseded = "superseded" // newer narration filled the queue: the newest wins
	ReasonUrgent     = "urgent"     // an urgent utterance cut in
	// ReasonAnnouncement: an announcement (a failure, an acknowledgement) cut in on narration.
	ReasonAnnouncement = "announcement"
	ReasonStopped      = "stopped"  // a stop command
	ReasonShutdown     = "shutdown" // the stage is stopping
)

// Decision records what the narrator did with one final description, on SubjectDecisions.
type Decision struct {
	ID            string    `json:"id"`
	Camera        string    `json:"camera"`
	DescriptionID string    `json:"description_id"`
	Text          string    `json:"text"`
	Action        string    `json:"action"`
	Reason        string    `json:"reason,omitempty"`
	DuplicateOf   string    `json:"duplicate_of,omitempty"`
	UtteranceID   string    `json:"utterance_id,omitempty"`
	CapturedAt    time.Time `json:"captured_at"`
	DecidedAt     time.Time `json:"decided_at"`
}

// Utterance priorities (and PriorityAnnouncement, in announce.go).
const (
	PriorityNormal = "normal"
	PriorityUrgent = "urgent"
)

// Utterance is text the narrator wants spoken, on SubjectUtterances. It must not start after
// NotAfter.
type Utterance struct {
	ID            string    `json:"id"`
	Camera        string    `json:"camera"`
	DescriptionID string    `json:"description_id"`
	Text          string    `json:"text"`
	Priority      string    `json:"priority"`
	CapturedAt    time.Time `json:"captured_at"`
	CreatedAt     time.Time `json:"created_at"`
	NotAfter      time.Time `json:"not_after"`
	// Kind is KindNarration or KindAnnouncement (empty: narration); Topic says what an
	// announcement is about (TopicStartup, TopicCameraLost, …).
	Kind  string `json:"kind,omitempty"`
	Topic string `json:"topic,omitempty"`
}

// Speech states.
const (
	SpeechStarted     = "started"
	SpeechFinished    = "finished"
	SpeechInterrupted = "interrupted"
	SpeechDropped     = "dropped"
)

// SpeechEvent reports what the speech stage did with an utterance, on SubjectSpeech.
type SpeechEvent struct {
	ID          string    `json:"id"`
	UtteranceID string    `json:"utterance_id"`
	Camera      string    `json:"camera"`
	State       string    `json:"state"`
	Reason      string    `json:"reason,omitempty"`
	Text        string    `json:"text"`
	Backend     string    `json:"backend"`
	At          time.Time `json:"at"`
	CapturedAt  time.Time `json:"captured_at"`
	SpokenAt    time.Time `json:"spoken_at,omitzero"`
	// GlassToEarMS is SpokenAt minus CapturedAt in milliseconds, on started and later events.
	GlassToEarMS float64 `json:"glass_to_ear_ms,omitempty"`
	// Kind and Topic are the utterance's.
	Kind  string `json:"kind,omitempty"`
	Topic string `json:"topic,omitempty"`
}

// Stats is a process's counters, on SubjectStats when they change (see ReportStats), and in
// answer to a request on SubjectStatsRequest.
type Stats struct {
	Process  string            `json:"process"`
	At       time.Time         `json:"at"`
	Counters map[string]uint64 `json:"counters"`
	// Gauges are current values that go down as well as up (see Counters.Gauge), e.g.
	// capture.interval_ms, the sampling interval capture uses now.
	Gauges map[string]uint64 `json:"gauges,omitempty"`
}

// Speech control commands.
const (
	SpeechStop   = "stop"   // silence the current utterance now and drop what waits
	SpeechPause  = "pause"  // silence now and say nothing until resume
	SpeechResume = "resume" // speak again
)

// SpeechControl tells the speech stage to stop, pause or resume, on SubjectSpeechControl. It
// travels apart from utterances so it never waits behind them.
type SpeechControl struct {
	ID      string    `json:"id"`
	Command string    `json:"command"`
	Reason  string    `json:"reason,omitempty"`
	At      time.Time `json:"at"`
}
