package drain

import (
	"flag"
	"testing"
)

func TestFlags(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if f.Timeout != DefaultTimeout || f.Validate() != nil {
		t.Errorf("default --drain %s: %v", f.Timeout, f.Validate())
	}
	if err := fs.Parse([]string{"--drain", "-1s"}); err != nil {
		t.Fatal(err)
	}
	if f.Validate() == nil {
		t.Error("--drain -1s: valid")
	}
}
