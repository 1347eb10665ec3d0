package mlx

import (
	"testing"

	"go.uber.org/goleak"
)

// leakCheck fails the test if it leaves goroutines behind. Call it first: its cleanup is then
// the last to run.
func leakCheck(t *testing.T) {
	opt := goleak.IgnoreCurrent()
	t.Cleanup(func() { goleak.VerifyNone(t, opt) })
}
