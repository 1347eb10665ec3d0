// Package cliflagtest runs the table tests every package's flags have: command lines that
// must be valid, and ones whose error must name the flag at fault.
package cliflagtest

import (
	"flag"
	"strings"
	"testing"
)

// Case is one command line and what Validate must say of it: Want "" means valid, else a
// piece the error must hold, such as the flag's name. (An alias of a plain struct, so tables
// list their cases without field names.)
type Case = struct {
	Args []string
	Want string
}

// Check registers fresh flags for every case (register), parses the case's arguments and
// checks what validate says of them. validate runs after the parse: a closure, not a method
// value of a value receiver, which would copy the flags before they are parsed.
func Check(t *testing.T, cases []Case, register func(*flag.FlagSet) (validate func() error)) {
	t.Helper()
	for _, c := range cases {
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		validate := register(fs)
		if err := fs.Parse(c.Args); err != nil {
			t.Fatal(err)
		}
		err := validate()
		if c.Want == "" && err != nil {
			t.Errorf("%v: %v, want valid", c.Args, err)
		}
		if c.Want != "" && (err == nil || !strings.Contains(err.Error(), c.Want)) {
			t.Errorf("%v: %v, want an error naming %q", c.Args, err, c.Want)
		}
	}
}
