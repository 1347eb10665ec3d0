package inference

// Check is one line of `narrator doctor`: what was checked, how it went and the fix.
type Check struct {
	Name   string
	Status string // CheckOK, CheckWarn, CheckFail or CheckSkip
	Detail string
	Fix    string // empty when there is nothing to do
}

// Check statuses.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "FAIL"
	CheckSkip = "skip"
)
