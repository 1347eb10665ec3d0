package mlx

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
)

// DataDir returns the narrator's data directory, where `narrator setup` puts the Python
// environment and the model cache: $NARRATOR_HOME when set, else the operating system's per-user
// data directory plus "narrator" (macOS: ~/Library/Application Support/narrator; Linux:
// $XDG_DATA_HOME/narrator or ~/.local/share/narrator). It does not create the directory.
func DataDir() (string, error) {
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

// Layout names the places inside a data directory.
type Layout struct {
	Root string // the data directory
}

// Venv is the Python environment `narrator setup` creates.
func (l Layout) Venv() string { return filepath.Join(l.Root, "venv") }

// Python is the environment's interpreter.
func (l Layout) Python() string {
	if runtime.GOOS == "windows" {
		return filepath.Join(l.Venv(), "Scripts", "python.exe")
	}
	return filepath.Join(l.Venv(), "bin", "python")
}

// HFHome is the Hugging Face cache (HF_HOME) the worker and setup use, kept apart from ~/.cache.
func (l Layout) HFHome() string { return filepath.Join(l.Root, "huggingface") }

// HubCache is the hub cache inside HFHome (HF_HUB_CACHE), where downloaded snapshots live.
func (l Layout) HubCache() string { return filepath.Join(l.HFHome(), "hub") }

// WorkerScript is where the embedded worker script is written out.
func (l Layout) WorkerScript() string { return filepath.Join(l.Root, "worker", "narrator_worker.py") }

// Constraints is where the embedded pins are written out for uv.
func (l Layout) Constraints() string { return filepath.Join(l.Root, "worker", "constraints.txt") }

// SetupState is the record of what `narrator setup` completed.
func (l Layout) SetupState() string { return filepath.Join(l.Root, "setup.json") }
