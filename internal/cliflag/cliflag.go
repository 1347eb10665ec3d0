// Package cliflag holds the few helpers the packages' flag registrations share: a default taken
// from the environment, and the check of a value against its allowed words. Each package
// registers and validates its own flags next to the config they fill (capture.Flags,
// speech.Flags, …); cmd/narrator only lists them.
package cliflag

import (
	"flag"
	"fmt"
	"os"
	"strings"
)

// Env returns the environment variable's value, or def when it is unset.
func Env(name, def string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return def
}

// OneOf checks a flag value against its allowed values.
func OneOf(flagName, value string, allowed ...string) error {
	for _, a := range allowed {
		if value == a {
			return nil
		}
	}
	return fmt.Errorf("--%s %q: use one of %s", flagName, value, strings.Join(allowed, ", "))
}

// Given reports whether the flag was set on the command line.
func Given(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}
