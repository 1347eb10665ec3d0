package ctl

import (
	"flag"
	"io"
	"strings"
	"testing"
)

// TestParseArgsTakesFlagsAnywhere: flags may come before, between or after the words.
func TestParseArgsTakesFlagsAnywhere(t *testing.T) {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var f Flags
	f.Register(fs)
	words, err := ParseArgs(fs, []string{"ask", "--camera", "door", "what is there?", "--json"})
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(words, "|") != "ask|what is there?" || f.Camera != "door" || !f.JSON || f.Timeout != DefaultTimeout {
		t.Errorf("words %q, flags %+v", words, f)
	}
	if _, err := ParseArgs(fs, []string{"ask", "--nonsense"}); err == nil {
		t.Error("an unknown flag after a word was taken")
	}
}
