package mlx

import (
	"path/filepath"
	"runtime"

	"github.com/narrator-dev/narrator/internal/datadir"
)

// DataDir returns the narrator's data directory (see datadir.Dir), where `narrator setup` puts
// the Python environment and the model cache.
func DataDir() (string, error) { return datadir.Dir() }

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
