// Package datadir finds the narrator's data directory: the mlx backend's Python environment
// and model cache, and the embedded bus's history, live there.
package datadir

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// Dir returns the narrator's data directory, where `narrator setup` puts the Python
// environment and the model cache: $NARRATOR_HOME when set, else the operating system's per-user
// data directory plus "narrator" (macOS: ~/Library/Application Support/narrator; Linux:
// $XDG_DATA_HOME/narrator or ~/.local/share/narrator). It does not create the directory.
func Dir() (string, error) {
	if d := os.Getenv("NARRATOR_HOME"); d != "" {
		abs, err := filepath.Abs(d)
		if err != nil {
			return "", fmt.Errorf("NARRATOR_HOME %q: %w", d, err)
		}
		return abs, nil
	}
	if runtime.GOOS == "linux" || runtime.GOOS == "freebsd" || runtime.GOOS == "openbsd" {
		if d := os.Getenv("XDG_DATA_HOME"); filepath.IsAbs(d) {
			return filepath.Join(d, "narrator"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", fmt.Errorf("data directory: %w (set NARRATOR_HOME)", err)
		}
		return filepath.Join(home, ".local", "share", "narrator"), nil
	}
	// macOS: ~/Library/Application Support; Windows: %AppData%.
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("data directory: %w (set NARRATOR_HOME)", err)
	}
	if d == "" {
		return "", errors.New("data directory: no per-user directory (set NARRATOR_HOME)")
	}
	return filepath.Join(d, "narrator"), nil
}
