package capture

import (
	"reflect"
	"strings"
	"testing"
)

// TestSourceNames: each --source gets its camera name; a name used twice is refused.
func TestSourceNames(t *testing.T) {
	cases := []struct {
		sources []string
		want    []NamedSource
		err     string
	}{
		{nil, []NamedSource{{"cam0", "auto"}}, ""},
		{[]string{"file:/a=b.mp4", "rtsp://h/x?a=b"}, []NamedSource{{"cam0", "file:/a=b.mp4"}, {"cam1", "rtsp://h/x?a=b"}}, ""},
		{[]string{"door=rtsp://h/x", "demo"}, []NamedSource{{"door", "rtsp://h/x"}, {"cam1", "demo"}}, ""},
		{[]string{"demo", "cam0=test"}, nil, "used twice"},
	}
	for _, c := range cases {
		o := Flags{Sources: c.sources, Camera: DefaultCamera}
		got, err := o.Cameras()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want error %q", c.sources, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %+v, %v; want %+v", c.sources, got, err, c.want)
		}
	}
}
