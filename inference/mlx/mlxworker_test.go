//go:build unix

package mlx

import (
	"os"
	"path/filepath"
	"testing"
)

// writeModelType makes a model folder whose config names modelType.
func writeModelType(t testing.TB, dir, modelType string) string {
	t.Helper()
	model := writeModelDir(t, dir)
	if err := os.WriteFile(filepath.Join(model, "config.json"), []byte(`{"model_type":"`+modelType+`"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	return model
}

// partialInstall is a site folder after an interrupted install: mlx-vlm and the metadata of
// mlx are there, mlx itself is not.
func partialInstall(t testing.TB) string {
	t.Helper()
	dir := t.TempDir()
	for _, name := range []string{"mlx_vlm", "mlx_vlm-0.6.15.dist-info", "mlx-0.32.0.dist-info"} {
		if err := os.Symlink(filepath.Join(standinPath(t), name), filepath.Join(dir, name)); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestMLXPeakMemoryIsEachRequests(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, nil)
	h.start(nil)
	h.waitState("ready")
	h.misbehave("once:peak:6.5") // a request that needs much more memory than the next
	big, _, err := h.describe(mlxFrame(t))
	if err != nil {
		t.Fatal(err)
	}
	small, _, err := h.describe(mlxFrame(t))
	if err != nil {
		t.Fatal(err)
	}
	if got := big.Metadata["peak_memory_gb"]; got != 6.5 {
		t.Errorf("first request peak %v GB, want 6.5", got)
	}
	if got := small.Metadata["peak_memory_gb"]; got != 1.9 {
		t.Errorf("second request peak %v GB, want its own 1.9, not the process's 6.5", got)
	}
	if err := h.stop(); err != nil {
		t.Errorf("Run: %v", err)
	}
}
