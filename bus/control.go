package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// Control subjects. Control and describe requests are NATS request-reply: every request gets
// exactly one reply, an acknowledgement or a clear error.
const (
	// SubjectControl carries Control requests to the narrator (describe now, repeat, pause,
	// resume, stop, ask, verbosity, status); the narrator answers each with a ControlReply.
	SubjectControl = Prefix + ".control"
	// SubjectDescribe carries DescribeRequest requests to the inference stage: describe the newest
	// frame now with this prompt. It answers each with a DescribeReply, then publishes the
	// description (with request_id set) on the camera's description subject.
	SubjectDescribe = Prefix + ".describe"
	// SubjectPrompt carries the narrator's active Prompt whenever it changes. Inference stages use
	// it for every frame; one that starts later asks for it with a ControlStatus request.
	SubjectPrompt = Prefix + ".prompt"
	// AllCues matches the director cues of every camera.
	AllCues = Prefix + "." + KindCues + ".*"
)

// CueSubject is the subject a camera's director cues are published on.
func CueSubject(camera string) string { return cameraSubject(KindCues, camera) }

// Control commands.
const (
	ControlDescribe  = "describe"  // describe the newest frame now and say it
	ControlRepeat    = "repeat"    // say the last utterance again
	ControlPause     = "pause"     // silence now; say nothing until resume
	ControlResume    = "resume"    // speak again
	ControlStop      = "stop"      // silence the current utterance and drop what waits
	ControlAsk       = "ask"       // answer Text, a question about the current view
	ControlVerbosity = "verbosity" // change the verbosity: Verbosity is up, down, short, normal or detailed
	ControlStatus    = "status"    // change nothing; the reply carries the narrator's state
	ControlHelp      = "help"      // say the keys aloud
	ControlRate      = "rate"      // change the speaking rate: Value is up, down or words per minute
	ControlVolume    = "volume"    // change the volume: Value is up, down or a percentage
	ControlMode      = "mode"      // change what is said unasked: Value is narrate, changes or ondemand
)

// Control is a user's request to the narrator, on SubjectControl (request-reply).
type Control struct {
	ID      string `json:"id"`
	Command string `json:"command"`
	// Text is the question, for ControlAsk.
	Text string `json:"text,omitempty"`
	// Verbosity is up, down, short, normal or detailed, for ControlVerbosity.
	Verbosity string `json:"verbosity,omitempty"`
	// Value is up, down or a number, for ControlRate and ControlVolume; a mode name for ControlMode.
	Value string `json:"value,omitempty"`
	// Camera names the camera for describe and ask; empty means the most recent one.
	Camera string    `json:"camera,omitempty"`
	At     time.Time `json:"at"`
}

// ControlReply acknowledges a Control request: OK with what was done, or Error with why not.
// It always carries the narrator's state after the request.
type ControlReply struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	Message   string `json:"message,omitempty"`
	// DescribeID is the DescribeRequest made for describe and ask: the description that answers
	// carries it as request_id.
	DescribeID string    `json:"describe_id,omitempty"`
	Mode       string    `json:"mode"`
	Verbosity  string    `json:"verbosity"`
	Paused     bool      `json:"paused"`
	Prompt     Prompt    `json:"prompt"`
	At         time.Time `json:"at"`
}

// DescribeRequest asks the inference stage to describe the newest frame of Camera (empty: of
// whichever camera sent a frame last) with Prompt, on SubjectDescribe (request-reply).
type DescribeRequest struct {
	ID     string `json:"id"`
	Camera string `json:"camera,omitempty"`
	// Prompt is the full instruction for the model; empty means the active prompt.
	Prompt string `json:"prompt,omitempty"`
	// Purpose is why: ControlDescribe, ControlAsk or ControlRead (on SubjectRead).
	Purpose string    `json:"purpose"`
	At      time.Time `json:"at"`
}

// DescribeReply acknowledges a DescribeRequest: the frame that will be described, or Error.
type DescribeReply struct {
	ID        string `json:"id"`
	RequestID string `json:"request_id"`
	OK        bool   `json:"ok"`
	Error     string `json:"error,omitempty"`
	Camera    string `json:"camera,omitempty"`
	FrameID   string `json:"frame_id,omitempty"`
	Backend   string `json:"backend,omitempty"`
	// UsesPrompt is false when the backend ignores prompts (the heuristic describer): it will
	// describe the view instead of answering a question.
	UsesPrompt bool      `json:"uses_prompt"`
	At         time.Time `json:"at"`
}

// Prompt is the instruction the narrator wants models to follow, on SubjectPrompt.
type Prompt struct {
	ID string `json:"id"`
	// Preset is the built-in preset's name, or "file" for a --prompt file.
	Preset string `json:"preset"`
	// File is the prompt file's path, when Preset is "file".
	File string    `json:"file,omitempty"`
	Text string    `json:"text"`
	At   time.Time `json:"at"`
}

// Cue is one director-mode description parsed into key: value cues, on CueSubject(camera), for
// music or lighting engines. Known keys fill the typed fields; every key, known or not, is in All.
type Cue struct {
	ID            string            `json:"id"`
	Camera        string            `json:"camera"`
	DescriptionID string            `json:"description_id"`
	Colour        string            `json:"colour,omitempty"`
	Mood          string            `json:"mood,omitempty"`
	Energy        string            `json:"energy,omitempty"`
	Objects       []string          `json:"objects,omitempty"`
	People        string            `json:"people,omitempty"`
	All           map[string]string `json:"all"`
	CapturedAt    time.Time         `json:"captured_at"`
	At            time.Time         `json:"at"`
}

// ErrNoResponder is returned by Request when nothing serves the subject (no narrator or no
// inference stage is running on this bus).
var ErrNoResponder = errors.New("nothing on the bus answers")

// Request is one request-reply message: the decoded body, or Err when it did not decode.
type Request[T any] struct {
	Body  T
	Err   error
	reply string
}

// BusyReply is the answer to a request its full queue dropped: every reply type decodes it as
// not OK, with the error.
type BusyReply struct {
	OK    bool   `json:"ok"`
	Error string `json:"error"`
}

// SubscribeRequests subscribes to requests of type T on subject. Requests that do not decode
// are still queued, with Err set, so they can be answered with the error. A request the full
// queue drops is answered at once with a BusyReply, so no caller waits out its timeout.
func SubscribeRequests[T any](c *Conn, subject string, cfg QueueConfig) (*Queue[Request[T]], error) {
	cfg.onDrop = func(dropped any) {
		if r, ok := dropped.(Request[T]); ok {
			_ = c.Reply(r, BusyReply{Error: fmt.Sprintf("busy: %s has more requests waiting than it keeps; try again", subject)})
		}
	}
	return subscribe(c, subject, cfg, func(m *nats.Msg) (Request[T], error) {
		r := Request[T]{reply: m.Reply}
		if err := json.Unmarshal(m.Data, &r.Body); err != nil {
			r.Err = fmt.Errorf("decode %s request: %w", m.Subject, err)
		}
		return r, nil
	})
}

// Reply answers r with v as JSON. A request sent without a reply subject needs no answer.
func (c *Conn) Reply(r interface{ replyTo() string }, v any) error {
	if r.replyTo() == "" {
		return nil
	}
	return c.PublishEvent(r.replyTo(), v)
}

func (r Request[T]) replyTo() string { return r.reply }

// RequestEvent sends req as JSON on subject and decodes the reply into reply, waiting until ctx
// ends. It returns ErrNoResponder when nothing serves subject, and ErrNotPermitted at once when
// the server refuses this connection's user to publish on subject.
func (c *Conn) RequestEvent(ctx context.Context, subject string, req, reply any) error {
	data, err := json.Marshal(req)
	if err != nil {
		return fmt.Errorf("encode request for %s: %w", subject, err)
	}
	ctx, stop := c.refusals.watch(ctx, subject)
	defer stop()
	m, err := c.nc.RequestWithContext(ctx, subject, data)
	if refused := context.Cause(ctx); errors.Is(refused, ErrNotPermitted) {
		return refused
	}
	if errors.Is(err, nats.ErrNoResponders) {
		return fmt.Errorf("request %s: %w", subject, ErrNoResponder)
	}
	if err != nil {
		return fmt.Errorf("request %s: %w", subject, err)
	}
	if err := json.Unmarshal(m.Data, reply); err != nil {
		return fmt.Errorf("decode reply from %s: %w", subject, err)
	}
	return nil
}
