package main

import (
	"context"
	"strings"
	"testing"
)

// TestEveryOptionIsValidatedBeforeAnythingOpens: a bad value of any part's flag fails before the
// bus opens (it logs "bus: …" as it does) and so before any stage, speech and its earcon
// included, has started; nothing is printed on stdout.
func TestEveryOptionIsValidatedBeforeAnythingOpens(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--mode", "loud"}, "--mode"},
		{[]string{"--verbosity", "huge"}, "--verbosity"},
		{[]string{"--similarity", "2"}, "--similarity"},
		{[]string{"--speech", "loud"}, "--speech"},
		{[]string{"--rate", "5"}, "--rate"},
		{[]string{"--announce", "some"}, "some"},
		{[]string{"--backend", "oracle"}, "--backend"},
		{[]string{"--preempt-distance", "0"}, "--preempt-distance"},
		{[]string{"--quality", "150"}, "--quality"},
		{[]string{"--history", "5ms"}, "--history"},
		{[]string{"--metrics", "9464"}, "HOST:PORT"},
		{[]string{"--transcript", "--json"}, "--transcript"},
		{[]string{"--drain", "-1s"}, "--drain"},
		{[]string{"--log-level", "loud"}, "--log-level"},
		{[]string{"--listen", "nonsense"}, "HOST:PORT"},
		{[]string{"--tls-cert", "cert.pem", "--tls-key", "key.pem"}, "--listen"},
		{[]string{"--nats", "nats://127.0.0.1:1", "--control-user", "c"}, "--control-user"},
	}
	for _, cmd := range [][]string{{"run", "--source", "demo"}, {"speak", "--nats", "nats://127.0.0.1:1"}} {
		for _, c := range cases {
			if cmd[0] == "speak" && (c.args[0] == "--backend" || c.args[0] == "--preempt-distance" || c.args[0] == "--quality" ||
				c.args[0] == "--drain" || c.args[0] == "--listen" || c.args[0] == "--tls-cert" || c.args[0] == "--nats") {
				continue // not flags of speak
			}
			args := append(append(append([]string{}, cmd...), "--speech", "text", "--backend", "heuristic"), c.args...)
			if cmd[0] == "speak" {
				args = append(append(append([]string{}, cmd...), "--speech", "text"), c.args...)
			}
			var stdout, stderr lockedBuffer
			err := run(context.Background(), args, &stdout, &stderr)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("narrator %v: error %v, want one naming %q", args, err, c.want)
			}
			if strings.Contains(stderr.String(), "bus:") || stdout.String() != "" {
				t.Errorf("narrator %v: the bus opened before the bad option was refused:\nstdout %q\nstderr %q", args, stdout.String(), stderr.String())
			}
		}
	}
}
