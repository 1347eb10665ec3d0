package narrator

import (
	"slices"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// keyCases are typed byte strings and what they ask for, in order ("quit" for q; a command
// with its argument otherwise).
var keyCases = []struct {
	name   string
	typed  string
	paused bool
	want   []string
}{
	{"every key", " rRtTpsS+=-_.>,<][?hHqQ", false, []string{
		"describe", "repeat", "repeat", "read", "read", "pause", "stop", "stop", "verbosity up", "verbosity up", "verbosity down", "verbosity down",
		"rate up", "rate up", "rate down", "rate down", "volume up", "volume down", "help", "help", "help", "quit", "quit"}},
	{"p resumes when paused", "P", true, []string{"resume"}},
	{"other keys are ignored", "xyz019\n\t\x00\x7f", false, nil},
	{"arrow keys are not [ and letters", "\x1b[A\x1b[B\x1b[C\x1b[D", false, nil},
	{"function and navigation keys", "\x1b[15~\x1b[1;5A\x1bOP\x1b[3~", false, nil},
	{"alt+key is ignored, the next key counts", "\x1bq ", false, []string{"describe"}},
	{"a key after a sequence counts", "\x1b[A]", false, []string{"volume up"}},
}

func keyName(k Key) string {
	if k.Quit {
		return "quit"
	}
	s := k.Control.Command
	if v := k.Control.Verbosity + k.Control.Value; v != "" {
		s += " " + v
	}
	return s
}

func readKeys(r *KeyReader, typed string, paused bool) []string {
	var got []string
	for _, b := range []byte(typed) {
		if k, ok := r.Read(b, paused); ok {
			got = append(got, keyName(k))
		}
	}
	return got
}

func TestKeyReader(t *testing.T) {
	for _, c := range keyCases {
		t.Run(c.name, func(t *testing.T) {
			var r KeyReader
			if got := readKeys(&r, c.typed, c.paused); !slices.Equal(got, c.want) {
				t.Fatalf("%q read as %q, want %q", c.typed, got, c.want)
			}
		})
	}
}

// TestKeyReaderSequenceSplitAcrossReads: a sequence cut between two reads is still skipped.
func TestKeyReaderSequenceSplitAcrossReads(t *testing.T) {
	var r KeyReader
	got := append(readKeys(&r, "\x1b", false), readKeys(&r, "[", false)...)
	got = append(got, readKeys(&r, "A ", false)...)
	if !slices.Equal(got, []string{"describe"}) {
		t.Fatalf("read %q, want only the space", got)
	}
}

var validCommands = []string{bus.ControlDescribe, bus.ControlRead, bus.ControlRepeat, bus.ControlPause, bus.ControlResume, bus.ControlStop,
	bus.ControlVerbosity, bus.ControlRate, bus.ControlVolume, bus.ControlHelp}

// FuzzKeyReader: whatever the terminal sends, every key read is a valid control or quit, only
// q quits, and the bytes of an escape sequence never become keys.
func FuzzKeyReader(f *testing.F) {
	for _, c := range keyCases {
		f.Add([]byte(c.typed), c.paused)
	}
	f.Fuzz(func(t *testing.T, typed []byte, paused bool) {
		var r KeyReader
		for i, b := range typed {
			k, ok := r.Read(b, paused)
			if !ok {
				continue
			}
			if k.Quit != (b == 'q' || b == 'Q') {
				t.Fatalf("byte %q quit=%v", b, k.Quit)
			}
			if !k.Quit && !slices.Contains(validCommands, k.Control.Command) {
				t.Fatalf("byte %q sends unknown command %q", b, k.Control.Command)
			}
			if i > 0 && typed[i-1] == 0x1b {
				t.Fatalf("byte %q right after ESC was taken for a key", b)
			}
		}
		// Reading the bytes one read at a time or all at once gives the same keys.
		var whole, split KeyReader
		a, b := readKeys(&whole, string(typed), paused), []string(nil)
		for _, c := range typed {
			b = append(b, readKeys(&split, string([]byte{c}), paused)...)
		}
		if !slices.Equal(a, b) {
			t.Fatalf("%q: %q read whole, %q byte by byte", typed, a, b)
		}
	})
}
