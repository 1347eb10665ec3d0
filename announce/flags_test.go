package announce

import (
	"flag"
	"testing"
)

func TestFlags(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if err := f.Validate(); err != nil || f.Level != DefaultLevel {
		t.Errorf("default %q: %v", f.Level, err)
	}
	if err := fs.Parse([]string{"--announce", "some"}); err != nil {
		t.Fatal(err)
	}
	if err := f.Validate(); err == nil {
		t.Error("--announce some: valid")
	}
	f.Level = "errors"
	if want, _ := ParseLevel("errors"); f.Validate() != nil || f.Parsed() != want {
		t.Errorf("--announce errors: %v", f.Parsed())
	}
}
