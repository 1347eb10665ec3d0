package datadir

import (
	"path/filepath"
	"runtime"
	"testing"
)

func TestDirFollowsNarratorHome(t *testing.T) {
	t.Setenv("NARRATOR_HOME", "rel/home")
	d, err := Dir()
	if err != nil {
		t.Fatal(err)
	}
	if !filepath.IsAbs(d) || filepath.Base(d) != "home" {
		t.Errorf("Dir with NARRATOR_HOME=rel/home: %q, want it made absolute", d)
	}
}

func TestDirFollowsXDG(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("XDG_DATA_HOME is read on Linux and the BSDs")
	}
	t.Setenv("NARRATOR_HOME", "")
	t.Setenv("XDG_DATA_HOME", "/xdg")
	if d, err := Dir(); err != nil || d != "/xdg/narrator" {
		t.Errorf("Dir with XDG_DATA_HOME=/xdg: %q, %v; want /xdg/narrator", d, err)
	}
}
