package bus

import (
	"strings"
	"testing"
)

var subjectKindCases = []struct {
	subject, kind, camera string
}{
	{FrameSubject("cam0"), KindFrames, "cam0"},
	{DescriptionSubject("front-door"), KindDescriptions, "front-door"},
	{SourceSubject("cam_1"), KindSources, "cam_1"},
	{CueSubject("cam0"), KindCues, "cam0"},
	{SubjectDecisions, "", ""},
	{SubjectInferenceStatus, "", ""}, // two tokens after Prefix, but not a camera's subject
	{SubjectWorkers, "", ""},
	{Prefix + ".frames.", "", ""},
	{Prefix + ".frames.a.b", "", ""},
	{"other.v1.frames.cam0", "", ""},
	{"narrator.v2.frames.cam0", "", ""},
	{"", "", ""},
}

func TestSubjectKind(t *testing.T) {
	for _, c := range subjectKindCases {
		kind, camera := SubjectKind(c.subject)
		if kind != c.kind || camera != c.camera {
			t.Errorf("SubjectKind(%q) = %q, %q; want %q, %q", c.subject, kind, camera, c.kind, c.camera)
		}
		if got := IsFrameSubject(c.subject); got != (c.kind == KindFrames) {
			t.Errorf("IsFrameSubject(%q) = %v", c.subject, got)
		}
	}
}

// FuzzSubjectKind checks that a kind found is one of the four and that the subject is exactly
// what that kind's subject for the camera would be.
func FuzzSubjectKind(f *testing.F) {
	for _, c := range subjectKindCases {
		f.Add(c.subject)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		kind, camera := SubjectKind(subject)
		if kind == "" {
			if camera != "" {
				t.Errorf("SubjectKind(%q): camera %q without a kind", subject, camera)
			}
			return
		}
		if cameraSubject(kind, camera) != subject || camera == "" || strings.Contains(camera, ".") {
			t.Errorf("SubjectKind(%q) = %q, %q", subject, kind, camera)
		}
	})
}

// cameraCounterCases are ParseInferenceCameraCounter's table, also the fuzz seeds.
var cameraCounterCases = []struct {
	name, camera, outcome string
	ok                    bool
}{
	{"inference.camera.door.sent", "door", "sent", true},
	{"inference.camera.front-door_2.superseded", "front-door_2", "superseded", true},
	{"inference.camera.a.b.dropped", "", "", false}, // a camera name has no dot
	{"inference.camera.door.eaten", "", "", false},
	{"inference.camera..sent", "", "", false},
	{"inference.camera.door.", "", "", false},
	{"inference.described", "", "", false},
	{"", "", "", false},
}

func TestParseInferenceCameraCounter(t *testing.T) {
	for _, c := range cameraCounterCases {
		camera, outcome, ok := ParseInferenceCameraCounter(c.name)
		if camera != c.camera || outcome != c.outcome || ok != c.ok {
			t.Errorf("%q: got %q %q %v, want %q %q %v", c.name, camera, outcome, ok, c.camera, c.outcome, c.ok)
		}
	}
}

func FuzzParseInferenceCameraCounter(f *testing.F) {
	for _, c := range cameraCounterCases {
		f.Add(c.name)
	}
	f.Fuzz(func(t *testing.T, name string) {
		camera, outcome, ok := ParseInferenceCameraCounter(name)
		if ok && InferenceCameraCounter(camera, outcome) != name {
			t.Fatalf("%q parsed as %q %q, which names %q", name, camera, outcome, InferenceCameraCounter(camera, outcome))
		}
	})
}
