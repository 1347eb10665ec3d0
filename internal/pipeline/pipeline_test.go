package pipeline

import (
	"context"
	"errors"
	"flag"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/internal/runner"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// recordingPart is a part that records what the pipeline did with it.
type recordingPart struct {
	name    string
	bad     bool
	journal *[]string
}

func (p *recordingPart) Register(*flag.FlagSet) { *p.journal = append(*p.journal, "register "+p.name) }

func (p *recordingPart) Validate(*Common) error {
	*p.journal = append(*p.journal, "validate "+p.name)
	if p.bad {
		return errors.New(p.name + " is bad")
	}
	return nil
}

func (p *recordingPart) Build(Env) ([]runner.Stage, error) {
	*p.journal = append(*p.journal, "build "+p.name)
	return nil, nil
}

// TestPartsAreAllValidatedBeforeAnyIsBuilt: a part that fails validation keeps every part,
// the ones before it included, from being built.
func TestPartsAreAllValidatedBeforeAnyIsBuilt(t *testing.T) {
	var journal []string
	p := Command{Name: "test", Embedded: true, Parts: []Part{
		&recordingPart{name: "a", journal: &journal}, &recordingPart{name: "b", bad: true, journal: &journal},
		&recordingPart{name: "c", journal: &journal},
	}}
	var out bustest.SyncBuffer
	err := p.Run(context.Background(), nil, &out, &out)
	if err == nil || err.Error() != "b is bad" {
		t.Fatalf("run: %v, want b's error", err)
	}
	if got, want := strings.Join(journal, ", "), "register a, register b, register c, validate a, validate b"; got != want {
		t.Errorf("the pipeline did %q, want %q", got, want)
	}

	journal = nil
	p.Parts[1].(*recordingPart).bad = false
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if err := p.Run(ctx, nil, &out, &out); err != nil {
		t.Fatalf("run: %v", err)
	}
	if got, want := strings.Join(journal, ", "), "register a, register b, register c, validate a, validate b, validate c, build a, build b, build c"; got != want {
		t.Errorf("the pipeline did %q, want %q", got, want)
	}
}

// TestBadCommonOptionsAreRefused: the options every pipeline command has are checked before
// anything opens.
func TestBadCommonOptionsAreRefused(t *testing.T) {
	for _, c := range []struct {
		args []string
		want string
	}{{[]string{"--duration", "-1s"}, "--duration"}, {[]string{"--log-level", "loud"}, "--log-level"}, {[]string{"extra"}, "no arguments"}} {
		var out bustest.SyncBuffer
		_, err := Command{Name: "test", Embedded: true}.Parse(c.args, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
}
