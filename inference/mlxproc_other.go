//go:build !unix

package inference

import "os/exec"

// ownGroup does nothing on systems without Unix process groups (MLX runs only on macOS).
func ownGroup(*exec.Cmd) {}

// killGroup has no group to kill here; the worker's own process is killed by its Cmd.
func killGroup(int) error { return nil }

// groupAlive cannot tell on this system.
func groupAlive(int) bool { return false }
