package inference

import (
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// scheduleCases are scripts of scheduler operations: "p cam" puts a frame of cam (its ID is
// cam and its running number), "n" takes the next frame, "t cam" takes cam's. want is what each
// n or t returned ("-" for nothing), and what was replaced or refused along the way.
var scheduleCases = []struct {
	name   string
	max    int
	script string
	want   string
}{
	{"empty", 0, "n", "-"},
	{"one camera, newest wins", 0, "p a; p a; p a; n; n", "replaced a1; replaced a2; a3; -"},
	{"oldest waiting first", 0, "p a; p b; p c; n; n; n", "a1; b2; c3"},
	{"a busy camera keeps its place, not its frame", 0, "p a; p b; p a; p a; n; n", "replaced a1; replaced a3; a4; b2"},
	{"served camera goes to the back", 0, "p a; p b; n; p a; n; n", "a1; b2; a3"},
	{"four cameras changing together, twice", 0, "p a; p b; p c; p d; n; p a; p b; p c; p d; n; n; n; n; n",
		"a1; replaced b2; replaced c3; replaced d4; b6; c7; d8; a5; -"},
	{"take a camera out of turn", 0, "p a; p b; t b; t b; n", "b2; -; a1"},
	{"cap refuses a new camera, not a waiting one", 2, "p a; p b; p c; p a; n; n; n", "refused c3; replaced a1; a4; b2; -"},
}

// runSchedule runs a script and returns the outcomes, joined by "; ".
func runSchedule(max int, script string) string {
	s := newScheduler(max)
	var out []string
	id := 0
	for op := range strings.SplitSeq(script, ";") {
		op = strings.TrimSpace(op)
		verb, camera, _ := strings.Cut(op, " ")
		var f bus.Frame
		var ok bool
		switch verb {
		case "p":
			id++
			f := bus.Frame{Camera: camera, ID: camera + itoa(id)}
			old, accepted := s.put(f)
			if !accepted {
				out = append(out, "refused "+f.ID)
			}
			if old != nil {
				out = append(out, "replaced "+old.ID)
			}
			continue
		case "n":
			f, ok = s.next()
		case "t":
			f, ok = s.take(camera)
		default:
			continue
		}
		if !ok {
			out = append(out, "-")
		} else {
			out = append(out, f.ID)
		}
	}
	return strings.Join(out, "; ")
}

func itoa(n int) string {
	if n < 10 {
		return string(rune('0' + n))
	}
	return itoa(n/10) + string(rune('0'+n%10))
}

func TestScheduler(t *testing.T) {
	for _, c := range scheduleCases {
		t.Run(c.name, func(t *testing.T) {
			if got := runSchedule(c.max, c.script); got != c.want {
				t.Errorf("%s:\n got %s\nwant %s", c.script, got, c.want)
			}
		})
	}
}

// FuzzScheduler checks the scheduler's promises on any sequence of puts and takes: at most one
// frame per camera waits; every frame put is either replaced by its own camera's, refused, or
// taken; no camera is served twice while another waits longer.
func FuzzScheduler(f *testing.F) {
	for _, c := range scheduleCases {
		f.Add(c.script, uint8(c.max))
	}
	f.Fuzz(func(t *testing.T, script string, maxCameras uint8) {
		s := newScheduler(int(maxCameras))
		put, out := 0, 0
		filled := map[string]int{} // camera → the op index when its slot was filled
		for i, op := range strings.Split(script, ";") {
			verb, camera, _ := strings.Cut(strings.TrimSpace(op), " ")
			switch verb {
			case "p":
				put++
				old, accepted := s.put(bus.Frame{Camera: camera})
				if !accepted || old != nil {
					out++
					if old != nil && old.Camera != camera {
						t.Fatalf("a frame of %q replaced one of %q", camera, old.Camera)
					}
				}
				if _, ok := filled[camera]; !ok && accepted {
					filled[camera] = i
				}
			case "n":
				f, ok := s.next()
				if !ok {
					if len(filled) != 0 {
						t.Fatalf("next returned nothing while %d cameras wait", len(filled))
					}
					continue
				}
				out++
				for camera, at := range filled {
					if at < filled[f.Camera] {
						t.Fatalf("served %q (waiting since op %d) before %q (since op %d)", f.Camera, filled[f.Camera], camera, at)
					}
				}
				delete(filled, f.Camera)
			}
			if s.len() != len(filled) {
				t.Fatalf("%d slots, want %d", s.len(), len(filled))
			}
		}
		if put != out+s.len() {
			t.Fatalf("%d frames put, %d out and %d waiting", put, out, s.len())
		}
	})
}
