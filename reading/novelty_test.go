package reading

import (
	"strings"
	"testing"
	"time"
)

var withinCases = []struct {
	a, b string
	want bool
}{
	{"NO ENTRY", "NO ENTRY", true},
	{"NO ENTRV", "NO ENTRY", true},         // one letter misread
	{"NO ENTR", "NO ENTRY", true},          // half hidden
	{"ENTRY", "NO ENTRY STAFF ONLY", true}, // a part of a longer line
	{"STAFF ONLY", "NO ENTRY STAFF ONLY", true},
	{"EXIT ONLY", "NO ENTRY", false},
	{"PLATFORM 2", "PLATFORM 7", true}, // one character in ten: the same sign misread
	{"ROOM 214", "ROOM 215", true},
	{"NO", "NO ENTRY", true}, // short: as a whole word
	{"NO", "NOTICE", false},  // short: not inside another word
	{"EXIT", "EDIT", true},   // four letters may differ by one
	{"OPENING HOURS", "CLOSED", false},
	{"", "ANY", true},
	{"ANY", "", false},
}

func TestWithin(t *testing.T) {
	for _, c := range withinCases {
		if got := within(c.a, c.b, DefaultMatch); got != c.want {
			t.Errorf("within(%q, %q) = %v, want %v", c.a, c.b, got, c.want)
		}
	}
}

func FuzzWithin(f *testing.F) {
	for _, c := range withinCases {
		f.Add(c.a, c.b)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		if len(a) > 200 || len(b) > 200 {
			return
		}
		if !within(a, a, DefaultMatch) {
			t.Errorf("%q is not within itself", a)
		}
		if !within(a, b+" "+a, DefaultMatch) && len([]rune(a)) >= shortKey {
			t.Errorf("%q is not within %q", a, b+" "+a)
		}
	})
}

func lineOf(texts ...string) []Line {
	var ls []Line
	for _, t := range texts {
		ls = append(ls, Line{Text: t})
	}
	return ls
}

func texts(ls []Line) string {
	var s []string
	for _, l := range ls {
		s = append(s, l.Text)
	}
	return strings.Join(s, "/")
}

// TestMemory reads a sequence of frames and checks what is news in each.
func TestMemory(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	steps := []struct {
		at    time.Duration
		lines []string
		news  string
	}{
		{0, []string{"NO ENTRY"}, "NO ENTRY"},
		{time.Second, []string{"NO ENTRY"}, ""},                             // the same sign: not news
		{2 * time.Second, []string{"NO ENTRV"}, ""},                         // one letter misread
		{3 * time.Second, nil, ""},                                          // a few frames without text
		{5 * time.Second, []string{"no entry."}, ""},                        // case and punctuation
		{6 * time.Second, []string{"NO ENTRY", "Staff only"}, "Staff only"}, // a new line below it
		{7 * time.Second, []string{"NO ENTRY Staff only"}, ""},              // the two read as one
		{8 * time.Second, []string{"EXIT ONLY"}, "EXIT ONLY"},               // the sign changed
		{30 * time.Second, []string{"EXIT ONLY"}, ""},                       // still in view (read 22 s ago)
		{45 * time.Second, []string{"NO ENTRY"}, "NO ENTRY"},                // not read for 37 s: news again
		{50 * time.Second, []string{"Exit only"}, ""},                       // read 20 s ago
	}
	var m memory
	for _, s := range steps {
		got := texts(m.fresh(lineOf(s.lines...), t0.Add(s.at), DefaultForget, DefaultMatch))
		if got != s.news {
			t.Errorf("at %s, reading %q: news %q, want %q", s.at, s.lines, got, s.news)
		}
	}
}

func TestMemoryBounded(t *testing.T) {
	var m memory
	now := time.Now()
	for i := range 3 * maxRemembered {
		m.fresh(lineOf(strings.Repeat(string(rune('A'+i%26)), 4)+" "+string(rune('0'+i%10))+string(rune('a'+i/10))), now, DefaultForget, DefaultMatch)
	}
	if len(m.lines) > maxRemembered {
		t.Errorf("memory holds %d lines, want at most %d", len(m.lines), maxRemembered)
	}
}

func TestNormKey(t *testing.T) {
	for in, want := range map[string]string{
		"No entry.":     "NO ENTRY",
		"  10:45  ":     "10 45",
		"£2.50 a loaf!": "2 50 A LOAF",
		"---":           "",
		"Café — ouvert": "CAFÉ OUVERT",
	} {
		if got := normKey(in); got != want {
			t.Errorf("normKey(%q) = %q, want %q", in, got, want)
		}
	}
}
