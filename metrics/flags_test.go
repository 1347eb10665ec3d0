package metrics

import (
	"strings"
	"testing"
)

func TestFlagsValidate(t *testing.T) {
	for _, c := range []struct{ addr, err string }{{"", ""}, {"127.0.0.1:0", ""}, {":9464", ""}, {"9464", "HOST:PORT"}} {
		err := (&Flags{Addr: c.addr}).Validate()
		if (c.err == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.err)) {
			t.Errorf("--metrics %q: %v, want %q", c.addr, err, c.err)
		}
	}
}
