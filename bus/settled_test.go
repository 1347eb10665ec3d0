package bus

import (
	"strings"
	"testing"
)

// settledSubjectCases are IsSettledFrameSubject's table, also the fuzz seeds.
var settledSubjectCases = []struct {
	subject string
	want    bool
}{
	{"narrator.v1.frames.cam0.settled", true},
	{"narrator.v1.frames.front-door_2.settled", true},
	{"narrator.v1.frames.cam0", false},
	{"narrator.v1.frames.settled", false},
	{"narrator.v1.frames..settled", false},
	{"narrator.v1.frames.a.b.settled", false},
	{"narrator.v1.descriptions.cam0.settled", false},
	{"narrator.v2.frames.cam0.settled", false},
	{"narrator.v1.frames.cam0.settledx", false},
	{"narrator.v1.frames. .settled", false}, // found by the fuzzer: not a camera name
	{"", false},
}

func TestIsSettledFrameSubject(t *testing.T) {
	for _, c := range settledSubjectCases {
		if got := IsSettledFrameSubject(c.subject); got != c.want {
			t.Errorf("IsSettledFrameSubject(%q) = %v, want %v", c.subject, got, c.want)
		}
	}
	if s := SettledFrameSubject("cam0"); !IsSettledFrameSubject(s) || IsFrameSubject(s) {
		t.Errorf("SettledFrameSubject(cam0) = %q: a settled subject must not be a frame subject", s)
	}
}

// FuzzIsSettledFrameSubject: a subject is a settled subject exactly when it is the settled
// subject of the camera it names, and never a frame subject.
func FuzzIsSettledFrameSubject(f *testing.F) {
	for _, c := range settledSubjectCases {
		f.Add(c.subject)
	}
	f.Fuzz(func(t *testing.T, subject string) {
		if !IsSettledFrameSubject(subject) {
			return
		}
		if IsFrameSubject(subject) {
			t.Fatalf("%q is both a frame and a settled subject", subject)
		}
		_, camera := SubjectKind(strings.TrimSuffix(subject, ".settled"))
		if ValidateCamera(camera) != nil || SettledFrameSubject(camera) != subject {
			t.Fatalf("%q: camera %q does not give it back", subject, camera)
		}
	})
}
