//go:build !unix

package speech

import "os/exec"

// ownGroup leaves cmd as it is: without process groups, cancelling kills the process alone.
func ownGroup(*exec.Cmd) {}
