package narrator

import (
	"flag"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/internal/cliflag/cliflagtest"
)

// TestFlagsValidate: the narration flags are checked before anything opens, naming the flag.
func TestFlagsValidate(t *testing.T) {
	cliflagtest.Check(t, []cliflagtest.Case{
		{nil, ""},
		{[]string{"--mode", "changes", "--verbosity", "short", "--prompt", "describe"}, ""},
		{[]string{"--mode", "loud"}, "--mode"},
		{[]string{"--verbosity", "huge"}, "--verbosity"},
		{[]string{"--similarity", "2"}, "--similarity"},
		{[]string{"--similarity", "NaN"}, "--similarity"},
		{[]string{"--refresh", "0s"}, "--refresh"},
		{[]string{"--prompt", "/no/such/prompt/file"}, "--prompt"},
	}, func(fs *flag.FlagSet) func() error {
		var f Flags
		f.Register(fs)
		return func() error { return f.Validate() } // after the parse (Validate may take a copy)
	})
}

// TestFlagsConfig: the urgent keywords are split and trimmed; the defaults are the package's.
func TestFlagsConfig(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs)
	if err := fs.Parse([]string{"--urgent-keywords", " fire, ,flood "}); err != nil {
		t.Fatal(err)
	}
	cfg, err := f.Config(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.UrgentKeywords, "|"); got != "fire|flood" {
		t.Errorf("urgent keywords %q, want fire|flood", got)
	}
	if cfg.Mode != ModeNarrate || cfg.Similarity != DefaultSimilarity || cfg.Refresh != DefaultRefresh || cfg.StaleAfter != DefaultStaleAfter {
		t.Errorf("defaults: %+v", cfg)
	}
}
