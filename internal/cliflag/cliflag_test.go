package cliflag

import (
	"flag"
	"testing"
)

func TestEnv(t *testing.T) {
	t.Setenv("NARRATOR_CLIFLAG_TEST", "set")
	if got := Env("NARRATOR_CLIFLAG_TEST", "def"); got != "set" {
		t.Errorf("Env of a set variable: %q, want set", got)
	}
	t.Setenv("NARRATOR_CLIFLAG_TEST", "")
	if got := Env("NARRATOR_CLIFLAG_TEST", "def"); got != "" {
		t.Errorf("Env of a variable set empty: %q, want it empty", got)
	}
	if got := Env("NARRATOR_CLIFLAG_UNSET_XYZ", "def"); got != "def" {
		t.Errorf("Env of an unset variable: %q, want def", got)
	}
}

func TestOneOf(t *testing.T) {
	if err := OneOf("mode", "b", "a", "b"); err != nil {
		t.Errorf("an allowed value: %v", err)
	}
	err := OneOf("mode", "c", "a", "b")
	if err == nil || err.Error() != `--mode "c": use one of a, b` {
		t.Errorf("a value not allowed: %v", err)
	}
}

func TestGiven(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	fs.String("a", "x", "")
	fs.String("b", "x", "")
	if err := fs.Parse([]string{"-a", "x"}); err != nil {
		t.Fatal(err)
	}
	if !Given(fs, "a") || Given(fs, "b") {
		t.Errorf("Given: a %v (want true), b %v (want false)", Given(fs, "a"), Given(fs, "b"))
	}
}
