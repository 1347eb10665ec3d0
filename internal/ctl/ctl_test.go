package ctl_test

import (
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/ctl"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

var parseCases = []struct {
	words []string
	want  bus.Control // ID and At aside
	err   string
}{
	{[]string{"pause"}, bus.Control{Command: bus.ControlPause}, ""},
	{[]string{"ask", "what", "colour", "is", "the", "cup?"}, bus.Control{Command: bus.ControlAsk, Text: "what colour is the cup?"}, ""},
	{[]string{"verbosity", "up"}, bus.Control{Command: bus.ControlVerbosity, Verbosity: "up"}, ""},
	{[]string{"mode", "changes"}, bus.Control{Command: bus.ControlMode, Value: "changes"}, ""},
	{[]string{"mode"}, bus.Control{}, "mode needs one of"},
	{[]string{"rate", "200"}, bus.Control{Command: bus.ControlRate, Value: "200"}, ""},
	{[]string{"volume", "down"}, bus.Control{Command: bus.ControlVolume, Value: "down"}, ""},
	{nil, bus.Control{}, "ctl needs a command"},
	{[]string{"ask", " "}, bus.Control{}, "ask needs a question"},
	{[]string{"verbosity"}, bus.Control{}, "verbosity needs one of"},
	{[]string{"rate", "1", "2"}, bus.Control{}, "rate needs one of"},
	{[]string{"pause", "now"}, bus.Control{}, "takes no arguments"},
	{[]string{"fly"}, bus.Control{}, `unknown command "fly"`},
}

func TestParse(t *testing.T) {
	for _, c := range parseCases {
		got, err := ctl.Parse(c.words)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("Parse(%q): %v, want an error containing %q", c.words, err, c.err)
			}
			continue
		}
		if err != nil || got.ID == "" || got.At.IsZero() {
			t.Errorf("Parse(%q): %+v, %v; want an id, a time and no error", c.words, got, err)
			continue
		}
		got.ID, got.At = "", c.want.At
		if got != c.want {
			t.Errorf("Parse(%q) = %+v, want %+v", c.words, got, c.want)
		}
	}
}

// FuzzParse: any words give a control of a known command or an error, never a panic.
func FuzzParse(f *testing.F) {
	for _, c := range parseCases {
		f.Add(strings.Join(c.words, "\x00"))
	}
	known := map[string]bool{bus.ControlAsk: true, bus.ControlVerbosity: true, bus.ControlRate: true, bus.ControlVolume: true,
		bus.ControlDescribe: true, bus.ControlRepeat: true, bus.ControlPause: true, bus.ControlResume: true, bus.ControlStop: true,
		bus.ControlStatus: true, bus.ControlHelp: true, bus.ControlMode: true}
	f.Fuzz(func(t *testing.T, joined string) {
		var words []string
		if joined != "" {
			words = strings.Split(joined, "\x00")
		}
		c, err := ctl.Parse(words)
		if err == nil && !known[c.Command] {
			t.Errorf("Parse(%q) accepted unknown command %q", words, c.Command)
		}
	})
}
