// Package version reports what narrator binary this is: its module version and the VCS revision
// it was built from, as the Go toolchain recorded them.
package version

import (
	"fmt"
	"runtime/debug"
	"strings"
)

// Info is what the build recorded about the binary.
type Info struct {
	// Module is the main module's path.
	Module string `json:"module"`
	// Version is the module version: a tag such as v0.3.0 when installed with `go install
	// …@version`, "(devel)" for a build from a checkout.
	Version string `json:"version"`
	// Revision is the VCS commit, empty when the build recorded none (-buildvcs=false, or a
	// build outside a checkout).
	Revision string `json:"revision,omitempty"`
	// Time is the commit's time, RFC 3339, when recorded.
	Time string `json:"time,omitempty"`
	// Modified is true when the checkout had uncommitted changes.
	Modified bool `json:"modified,omitempty"`
	// Go is the toolchain that built the binary.
	Go string `json:"go"`
}

// Get reads the running binary's build information.
func Get() Info {
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return Info{Version: "unknown"}
	}
	return fromBuildInfo(bi)
}

func fromBuildInfo(bi *debug.BuildInfo) Info {
	i := Info{Module: bi.Main.Path, Version: bi.Main.Version, Go: bi.GoVersion}
	if i.Version == "" {
		i.Version = "(devel)"
	}
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			i.Revision = s.Value
		case "vcs.time":
			i.Time = s.Value
		case "vcs.modified":
			i.Modified = s.Value == "true"
		}
	}
	return i
}

// String is one line for people: "narrator v0.3.0 (revision 1a2b3c4d5e6f, 2026-11-28T10:00:00Z, go1.26.0)".
func (i Info) String() string {
	var parts []string
	switch {
	case i.Revision == "":
		parts = append(parts, "revision unknown: built without VCS information")
	case i.Modified:
		parts = append(parts, "revision "+short(i.Revision)+" with uncommitted changes")
	default:
		parts = append(parts, "revision "+short(i.Revision))
	}
	if i.Time != "" {
		parts = append(parts, i.Time)
	}
	if i.Go != "" {
		parts = append(parts, i.Go)
	}
	return fmt.Sprintf("narrator %s (%s)", i.Version, strings.Join(parts, ", "))
}

func short(rev string) string {
	if len(rev) > 12 {
		return rev[:12]
	}
	return rev
}
