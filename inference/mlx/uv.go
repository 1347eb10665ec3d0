package mlx

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// MinUVVersion is the oldest uv setup works with: `uv venv --managed-python` came in uv 0.6.8
// (uv's changelogs/0.6.x.md). Older uv stops with "unexpected argument '--managed-python'".
const MinUVVersion = "0.6.8"

// uvUpgrade is how a user gets a newer uv, whichever way it was installed.
const uvUpgrade = "`uv self update`, or `brew upgrade uv` if Homebrew installed it"

// FindUV looks for uv on PATH and where its installers put it.
func FindUV() (string, error) {
	if p, err := exec.LookPath("uv"); err == nil {
		return p, nil
	}
	if home, err := os.UserHomeDir(); err == nil {
		for _, p := range []string{filepath.Join(home, ".local", "bin", "uv"), filepath.Join(home, ".cargo", "bin", "uv"), "/opt/homebrew/bin/uv"} {
			if fi, err := os.Stat(p); err == nil && !fi.IsDir() {
				return p, nil
			}
		}
	}
	return "", errors.New("uv is not installed: `brew install uv`, or the official installer: `curl -LsSf https://astral.sh/uv/install.sh | sh`")
}

// UVVersion runs `uv --version` (with env added to the environment) and returns the version it
// reports ("0.9.2").
func UVVersion(ctx context.Context, uv string, env []string) (string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, uv, "--version")
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s --version: %w", uv, err)
	}
	v, ok := parseUVVersion(string(out))
	if !ok {
		return "", fmt.Errorf("%s --version: unexpected answer %q", uv, oneLine(string(out)))
	}
	return v, nil
}

// parseUVVersion reads the version from uv's `--version` line: "uv 0.9.2 (Homebrew 2025-10-10)"
// or "uv 0.9.2". It returns the version as printed.
func parseUVVersion(line string) (string, bool) {
	f := strings.Fields(line)
	if len(f) < 2 || f[0] != "uv" {
		return "", false
	}
	if _, ok := versionParts(f[1]); !ok {
		return "", false
	}
	return f[1], true
}

// versionParts splits "0.9.2" (or "0.10.0-rc1", "0.9") into its numbers.
func versionParts(v string) ([3]int, bool) {
	var out [3]int
	if i := strings.IndexAny(v, "-+"); i >= 0 {
		v = v[:i]
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return out, false
	}
	for i, p := range parts {
		n, err := strconv.Atoi(p)
		if err != nil || n < 0 {
			return out, false
		}
		out[i] = n
	}
	return out, true
}

// olderThan reports whether version a is older than b; unreadable versions are not older.
func olderThan(a, b string) bool {
	x, ok1 := versionParts(a)
	y, ok2 := versionParts(b)
	if !ok1 || !ok2 {
		return false
	}
	for i := range x {
		if x[i] != y[i] {
			return x[i] < y[i]
		}
	}
	return false
}

// uvVersionProblem says what is wrong with a uv of this version, or "" when it will do.
func uvVersionProblem(version string) string {
	if !olderThan(version, MinUVVersion) {
		return ""
	}
	return fmt.Sprintf("uv %s is too old: narrator setup needs uv %s or newer (for `uv venv --managed-python`): %s", version, MinUVVersion, uvUpgrade)
}
