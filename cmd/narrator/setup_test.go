package main

import (
	"context"
	"runtime"
	"strings"
	"testing"
)

func TestMLXCommandsOffAppleSilicon(t *testing.T) {
	if runtime.GOOS == "darwin" && runtime.GOARCH == "arm64" {
		t.Skip("this machine can run MLX")
	}
	t.Setenv("NARRATOR_HOME", t.TempDir())
	t.Setenv("NARRATOR_WORKER_PYTHON", "")
	for _, args := range [][]string{
		{"setup"},
		{"run", "--backend", "mlx", "--source", "demo", "--speech", "none", "--duration", "2s"},
	} {
		var out lockedBuffer
		err := run(context.Background(), args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), "Apple Silicon") || !strings.Contains(err.Error(), "--backend heuristic") {
			t.Errorf("narrator %v: %v, want the Apple Silicon explanation and the alternative", args, err)
		}
	}
}

func TestDoctorPrintsOneLinePerCheck(t *testing.T) {
	t.Setenv("NARRATOR_HOME", t.TempDir())
	var out lockedBuffer
	err := run(context.Background(), []string{"doctor"}, &out, &out)
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	want := []string{"platform", "uv", "python env", "mlx-vlm", "model", "ffmpeg", "camera", "audio out", "bus", "text reader"}
	if len(lines) != len(want) {
		t.Fatalf("doctor printed %d lines, want %d:\n%s", len(lines), len(want), out.String())
	}
	failed := 0
	for i, name := range want {
		fields := strings.Fields(lines[i])
		status := fields[0]
		if !strings.HasPrefix(strings.TrimSpace(lines[i][4:]), name) {
			t.Errorf("line %d %q: want check %q", i, lines[i], name)
		}
		if status != "ok" && status != "warn" && status != "FAIL" && status != "skip" {
			t.Errorf("line %q: status %q", lines[i], status)
		}
		if (status == "FAIL" || status == "warn") && !strings.Contains(lines[i], "fix:") {
			t.Errorf("line %q has no fix", lines[i])
		}
		if status == "FAIL" {
			failed++
		}
	}
	if !strings.HasPrefix(lines[len(lines)-2], "ok   bus") {
		t.Errorf("the embedded bus check failed: %s", lines[len(lines)-2])
	}
	if (failed > 0) != (err != nil) {
		t.Errorf("doctor returned %v with %d failed checks", err, failed)
	}
}
