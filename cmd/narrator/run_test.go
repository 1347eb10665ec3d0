package main

import (
	"context"
	"errors"
	"flag"
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

// recordingPart is a part that records what the pipeline did with it.
type recordingPart struct {
	name    string
	bad     bool
	journal *[]string
}

func (p *recordingPart) register(*flag.FlagSet) { *p.journal = append(*p.journal, "register "+p.name) }

func (p *recordingPart) validate(*common) error {
	*p.journal = append(*p.journal, "validate "+p.name)
	if p.bad {
		return errors.New(p.name + " is bad")
	}
	return nil
}

func (p *recordingPart) build(env) ([]stage, error) {
	*p.journal = append(*p.journal, "build "+p.name)
	return nil, nil
}

// TestPartsAreAllValidatedBeforeAnyIsBuilt: a part that fails validation keeps every part,
// the ones before it included, from being built.
func TestPartsAreAllValidatedBeforeAnyIsBuilt(t *testing.T) {
	var journal []string
	p := pipeline{name: "test", embedded: true, parts: []part{
		&recordingPart{name: "a", journal: &journal}, &recordingPart{name: "b", bad: true, journal: &journal},
		&recordingPart{name: "c", journal: &journal},
	}}
	var out lockedBuffer
	err := p.run(context.Background(), nil, &out, &out)
	if err == nil || err.Error() != "b is bad" {
		t.Fatalf("run: %v, want b's error", err)
	}
	if got, want := strings.Join(journal, ", "), "register a, register b, register c, validate a, validate b"; got != want {
		t.Errorf("the pipeline did %q, want %q", got, want)
	}

	journal = nil
	p.parts[1].(*recordingPart).bad = false
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.run(ctx, nil, &out, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := strings.Join(journal, ", "), "register a, register b, register c, validate a, validate b, validate c, build a, build b, build c"; got != want {
		t.Errorf("the pipeline did %q, want %q", got, want)
	}
}
