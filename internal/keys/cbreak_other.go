//go:build !linux && !darwin

package keys

import (
	"errors"
	"runtime"
)

// cbreak is not implemented here: single-key controls are off; use `narrator ctl`.
func cbreak(int) (func(), error) {
	return nil, errors.New("not supported on " + runtime.GOOS + "; use narrator ctl")
}

// readKeys is never called where cbreak fails.
func readKeys(int, []byte) (int, error) { return 0, errors.ErrUnsupported }
