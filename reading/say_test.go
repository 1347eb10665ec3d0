package reading

import (
	"image"
	"testing"
)

func TestCompose(t *testing.T) {
	cases := []struct {
		name               string
		lines              []string
		maxLines, maxWords int
		want               string
		cut                bool
	}{
		{"one line", []string{"NO ENTRY"}, 3, 25, "Text: NO ENTRY.", false},
		{"punctuation kept", []string{"Dear customer,", "Thank you!"}, 3, 25, "Text: Dear customer, Thank you!", false},
		{"digits as written", []string{"Platform 2 departures 10:45"}, 3, 25, "Text: Platform 2 departures 10:45.", false},
		{"cut after three lines", []string{"a b", "c d", "e f", "g h"}, 3, 25, "Text: a b. c d. e f. " + MoreText, true},
		{"cut inside a line", []string{"one two three", "four five six"}, 3, 4, "Text: one two three. four " + MoreText, true},
		{"exactly the words", []string{"one two", "three four"}, 3, 4, "Text: one two. three four.", false},
		{"no limit", []string{"a", "b", "c", "d"}, 0, 0, "Text: a. b. c. d.", false},
	}
	for _, c := range cases {
		got, cut := compose(LeadText, lineOf(c.lines...), c.maxLines, c.maxWords)
		if got != c.want || cut != c.cut {
			t.Errorf("%s: compose = %q, %v; want %q, %v", c.name, got, cut, c.want, c.cut)
		}
	}
}

func TestLead(t *testing.T) {
	tall := func(text string, h int) Line {
		return Line{Text: text, Words: []Word{{Text: text, Box: image.Rect(0, 0, 10, h)}}}
	}
	cases := []struct {
		name  string
		lines []Line
		want  string
	}{
		{"large and short: a sign", []Line{tall("EXIT", 60)}, LeadSign},
		{"small letters: text", []Line{tall("EXIT", 20)}, LeadText},
		{"three lines: text", []Line{tall("A", 60), tall("B", 60), tall("C", 60)}, LeadText},
		{"nothing", nil, LeadText},
	}
	for _, c := range cases {
		if got := lead(c.lines, 576); got != c.want {
			t.Errorf("%s: lead = %q, want %q", c.name, got, c.want)
		}
	}
}
