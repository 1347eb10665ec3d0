package main

import (
	"context"
	"regexp"
	"strings"
	"testing"
)

// TestHelpNamesEveryArgument checks the argument name --help shows after each flag: Go's flag
// package takes the first back-quoted word of a usage string as that name, so a usage that quotes
// a command in back quotes prints "-backend narrator" instead of "-backend BACKEND".
func TestHelpNamesEveryArgument(t *testing.T) {
	flagLine := regexp.MustCompile(`^  -(\S+)(?: (.+))?$`)
	argName := regexp.MustCompile(`^([A-Z][A-Z0-9_]*|string|int|uint|float|duration|value)$`)
	for _, cmd := range commands() {
		var stdout, stderr lockedBuffer
		if err := run(context.Background(), []string{cmd.name, "--help"}, &stdout, &stderr); err != nil {
			t.Fatalf("%s --help: %v", cmd.name, err)
		}
		flags := 0
		for _, line := range strings.Split(stderr.String(), "\n") {
			m := flagLine.FindStringSubmatch(line)
			if m == nil {
				continue
			}
			flags++
			if m[2] != "" && !argName.MatchString(m[2]) {
				t.Errorf("narrator %s --help: -%s takes %q as its argument name", cmd.name, m[1], m[2])
			}
		}
		if flags == 0 {
			t.Errorf("narrator %s --help lists no flags:\n%s", cmd.name, stderr.String())
		}
	}
}
