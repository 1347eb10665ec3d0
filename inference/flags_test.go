package inference

import (
	"flag"
	"strings"
	"testing"
	"time"
)

// TestFlagsValidate: the inference flags are checked before anything opens.
func TestFlagsValidate(t *testing.T) {
	cases := []struct {
		args []string
		want string // "" means valid
	}{
		{nil, ""},
		{[]string{"--backend", "heuristic", "--preempt-distance", "64"}, ""},
		{[]string{"--backend", "oracle"}, "--backend"},
		{[]string{"--preempt-distance", "0"}, "--preempt-distance"},
		{[]string{"--preempt-distance", "65"}, "--preempt-distance"},
		{[]string{"--max-age", "-1s"}, "--max-age"},
	}
	for _, c := range cases {
		f := Flags{OwnsMaxAge: true}
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f.Register(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		err := f.Validate()
		if c.want == "" && err != nil {
			t.Errorf("%v: %v, want valid", c.args, err)
		}
		if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}

// TestFlagsMaxAgeOnlyWhenOwned: --max-age is inference's only when the command says so (in
// `narrator run` it is capture's); inference then keeps DefaultMaxAge.
func TestFlagsMaxAgeOnlyWhenOwned(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if fs.Lookup("max-age") != nil {
		t.Error("--max-age registered without OwnsMaxAge")
	}
	if got := f.Config(nil, nil, nil).MaxAge; got != DefaultMaxAge {
		t.Errorf("MaxAge %s, want DefaultMaxAge %s", got, DefaultMaxAge)
	}
	f = Flags{OwnsMaxAge: true}
	fs = flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--max-age", "3s"}); err != nil {
		t.Fatal(err)
	}
	if got := f.Config(nil, nil, nil).MaxAge; got != 3*time.Second {
		t.Errorf("--max-age 3s: MaxAge %s", got)
	}
	f.MaxAge = 0
	if got := f.Config(nil, nil, nil).MaxAge; got != Off {
		t.Errorf("--max-age 0 (no limit): MaxAge %s, want Off", got)
	}
}
