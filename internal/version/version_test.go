package version

import (
	"runtime/debug"
	"strings"
	"testing"
)

func TestInfo(t *testing.T) {
	cases := []struct {
		name     string
		bi       debug.BuildInfo
		want     string
		revision string
	}{
		{"tagged, clean", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m", Version: "v0.3.0"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "1a2b3c4d5e6f7a8b9c0d"}, {Key: "vcs.time", Value: "2026-11-28T10:00:00Z"}, {Key: "vcs.modified", Value: "false"}}},
			"narrator v0.3.0 (revision 1a2b3c4d5e6f, 2026-11-28T10:00:00Z, go1.26.0)", "1a2b3c4d5e6f7a8b9c0d"},
		{"checkout with changes", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m", Version: "(devel)"}, Settings: []debug.BuildSetting{
			{Key: "vcs.revision", Value: "abc"}, {Key: "vcs.modified", Value: "true"}}},
			"narrator (devel) (revision abc with uncommitted changes, go1.26.0)", "abc"},
		{"-buildvcs=false", debug.BuildInfo{GoVersion: "go1.26.0", Main: debug.Module{Path: "m"}},
			"narrator (devel) (revision unknown: built without VCS information, go1.26.0)", ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			i := fromBuildInfo(&c.bi)
			if got := i.String(); got != c.want {
				t.Fatalf("got  %q\nwant %q", got, c.want)
			}
			if i.Revision != c.revision || i.Module != "m" {
				t.Fatalf("info %+v", i)
			}
		})
	}
}

func TestGetReadsThisBinary(t *testing.T) {
	i := Get()
	if i.Go == "" || !strings.HasPrefix(i.String(), "narrator ") {
		t.Fatalf("Get() = %+v", i)
	}
}
