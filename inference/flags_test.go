package inference

import (
	"flag"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/internal/cliflag/cliflagtest"
)

// TestFlagsValidate: the inference flags are checked before anything opens.
func TestFlagsValidate(t *testing.T) {
	cliflagtest.Check(t, []cliflagtest.Case{
		{nil, ""},
		{[]string{"--backend", "heuristic", "--preempt-distance", "64"}, ""},
		{[]string{"--backend", "oracle"}, "--backend"},
		{[]string{"--preempt-distance", "0"}, "--preempt-distance"},
		{[]string{"--preempt-distance", "65"}, "--preempt-distance"},
		{[]string{"--max-age", "-1s"}, "--max-age"},
	}, func(fs *flag.FlagSet) func() error {
		f := Flags{OwnsMaxAge: true}
		f.Register(fs)
		return func() error { return f.Validate() } // after the parse (Validate may take a copy)
	})
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
