package bus

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/narrator-dev/narrator/internal/redact"
)

// Subject names. Every subject is versioned under Prefix; see docs/events.md.
const (
	// Prefix starts every narrator subject.
	Prefix = "narrator.v1"
	// AllEvents matches every narrator subject.
	AllEvents = Prefix + ".>"
	// AllFrames matches the frames of every camera.
	AllFrames = Prefix + "." + KindFrames + ".*"
	// AllDescriptions matches the descriptions of every camera.
	AllDescriptions = Prefix + "." + KindDescriptions + ".*"
	// SubjectDecisions carries one Decision per final description: spoken or suppressed, and why.
	SubjectDecisions = Prefix + ".decisions"
	// SubjectUtterances carries what the narrator wants spoken.
	SubjectUtterances = Prefix + ".utterances"
	// SubjectSpeech carries what the speech stage did with each utterance.
	SubjectSpeech = Prefix + ".speech"
	// SubjectSpeechControl carries SpeechControl commands to the speech stage (stop, pause, resume).
	SubjectSpeechControl = Prefix + ".speech_control"
	// SubjectInferenceStatus is the status endpoint of the narrator-inference micro service.
	SubjectInferenceStatus = Prefix + ".inference.status"
	// SubjectStats carries each process's counters when they change: at once on a loss, at most
	// every DefaultStatsQuiet for routine activity (see ReportStats).
	SubjectStats = Prefix + ".stats"
	// SubjectStatsRequest asks every process for its current counters: each answers a request
	// with its Stats (`nats request narrator.v1.stats.request '' --replies 0`).
	SubjectStatsRequest = Prefix + ".stats.request"
)

// Kinds of per-camera subject, Prefix.KIND.CAMERA, as SubjectKind returns them.
const (
	KindFrames       = "frames"
	KindDescriptions = "descriptions"
	KindSources      = "sources"
	KindCues         = "cues"
)

// cameraSubject is the subject of kind for camera.
func cameraSubject(kind, camera string) string { return Prefix + "." + kind + "." + camera }

// IsStatsSubject reports whether subject carries stats or stats requests.
func IsStatsSubject(subject string) bool {
	return subject == SubjectStats || subject == SubjectStatsRequest
}

// FrameSubject is the subject a camera's frames are published on.
func FrameSubject(camera string) string { return cameraSubject(KindFrames, camera) }

// DescriptionSubject is the subject a camera's descriptions are published on.
func DescriptionSubject(camera string) string { return cameraSubject(KindDescriptions, camera) }

// SubjectKind returns the kind (KindFrames, KindDescriptions, KindSources or KindCues) and the
// camera of a per-camera subject, or "", "" for any other subject.
func SubjectKind(subject string) (kind, camera string) {
	rest, ok := strings.CutPrefix(subject, Prefix+".")
	if !ok {
		return "", ""
	}
	kind, camera, ok = strings.Cut(rest, ".")
	if !ok || camera == "" || strings.Contains(camera, ".") {
		return "", ""
	}
	switch kind {
	case KindFrames, KindDescriptions, KindSources, KindCues:
		return kind, camera
	}
	return "", ""
}

// IsFrameSubject reports whether subject carries a camera's frames.
func IsFrameSubject(subject string) bool {
	kind, _ := SubjectKind(subject)
	return kind == KindFrames
}

var cameraName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)

// ValidateCamera checks that name can be used as a subject token.
func ValidateCamera(name string) error {
	if !cameraName.MatchString(name) {
		return fmt.Errorf("camera name %q: use 1-64 letters, digits, '-' or '_'", redact.Truncate(name, 80))
	}
	return nil
}
