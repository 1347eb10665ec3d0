package bus

import (
	"strings"
	"time"
)

// Settled frames: a frame capture sends for the text reader when the scene settles after a
// change, however small. Capture's dedup sends a frame when the scene changes enough to be worth
// describing; a small sign appearing in a still scene is not such a change, and neither is the
// last, sharp frame after the camera came to rest on a sign. The text reader needs both, within
// about a second. Capture sends them, on their own subject so the scene describer never sees
// them, only while a reader asks for them (SubjectSettledWanted): capture's cost stays nil
// without a reader.
const (
	// FrameSettled is the Frame.Reason of a settled frame.
	FrameSettled = "settled"
	// AllSettledFrames matches every camera's settled frames.
	AllSettledFrames = Prefix + "." + KindFrames + ".*." + settledToken
	// AllFramesAndSettled matches every camera's frames and settled frames: what the text
	// reader reads.
	AllFramesAndSettled = Prefix + "." + KindFrames + ".>"
	// SubjectSettledWanted carries a SettledWanted from each text reader, at start and every
	// SettledLease/3: capture sends settled frames until SettledLease after the last.
	SubjectSettledWanted = Prefix + ".settled_wanted"
	// SettledLease is how long one SettledWanted keeps capture sending settled frames.
	SettledLease = 30 * time.Second
	// CounterCaptureFramesSettled counts the settled frames capture published.
	CounterCaptureFramesSettled = "capture.frames_settled"

	settledToken = "settled"
)

// SettledWanted asks capture for settled frames (SubjectSettledWanted).
type SettledWanted struct {
	// By names who asks: "reading".
	By string    `json:"by"`
	At time.Time `json:"at"`
}

// SettledFrameSubject is the subject camera's settled frames are published on: its frame
// subject and ".settled", which AllFrames ("narrator.v1.frames.*") does not match.
func SettledFrameSubject(camera string) string { return FrameSubject(camera) + "." + settledToken }

// IsSettledFrameSubject reports whether subject carries a camera's settled frames.
func IsSettledFrameSubject(subject string) bool {
	rest, ok := strings.CutSuffix(subject, "."+settledToken)
	kind, camera := SubjectKind(rest)
	return ok && kind == KindFrames && ValidateCamera(camera) == nil
}
