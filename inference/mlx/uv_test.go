package mlx

import (
	"strings"
	"testing"
)

var uvVersionLines = []struct {
	line, version string
	ok            bool
}{
	{"uv 0.9.2 (Homebrew 2025-10-10)\n", "0.9.2", true},
	{"uv 0.12.5", "0.12.5", true},
	{"uv 0.6.8 (a1b2c3d 2025-03-18)", "0.6.8", true},
	{"uv 0.10.0-rc1", "0.10.0-rc1", true},
	{"uv-build 0.9.2", "", false},
	{"uv", "", false},
	{"uv version 1", "", false},
	{"", "", false},
	{"uv 0..1", "", false},
}

func TestParseUVVersion(t *testing.T) {
	for _, tc := range uvVersionLines {
		v, ok := parseUVVersion(tc.line)
		if v != tc.version || ok != tc.ok {
			t.Errorf("parseUVVersion(%q) = %q, %v; want %q, %v", tc.line, v, ok, tc.version, tc.ok)
		}
	}
}

func FuzzParseUVVersion(f *testing.F) {
	for _, tc := range uvVersionLines {
		f.Add(tc.line)
	}
	f.Fuzz(func(t *testing.T, line string) {
		v, ok := parseUVVersion(line)
		if !ok {
			return
		}
		if !strings.Contains(line, v) {
			t.Fatalf("version %q is not in %q", v, line)
		}
		if _, ok := versionParts(v); !ok {
			t.Fatalf("accepted version %q has no numbers", v)
		}
		if olderThan(v, v) {
			t.Fatalf("%q is older than itself", v)
		}
	})
}

func TestUVVersionProblem(t *testing.T) {
	for v, tooOld := range map[string]bool{"0.5.31": true, "0.6.7": true, "0.6.8": false, "0.6.10": false, "0.10.0": false, "1.0": false} {
		p := uvVersionProblem(v)
		if (p != "") != tooOld {
			t.Errorf("uvVersionProblem(%q) = %q, want too old: %v", v, p, tooOld)
		}
		if tooOld && (!strings.Contains(p, MinUVVersion) || !strings.Contains(p, "uv self update")) {
			t.Errorf("uvVersionProblem(%q) = %q, want the version needed and how to get it", v, p)
		}
	}
}
