// Package doctor is `narrator doctor`: one line per thing the narrator needs (ffmpeg, a
// camera, an audio output, the bus and, from inference/mlx, the mlx backend), each with its
// fix.
package doctor

// Check is one line of `narrator doctor`: what was checked, how it went and the fix.
type Check struct {
	Name   string
	Status string // OK, Warn, Fail or Skip
	Detail string
	Fix    string // empty when there is nothing to do
}

// Check statuses.
const (
	OK   = "ok"
	Warn = "warn"
	Fail = "FAIL"
	Skip = "skip"
)
