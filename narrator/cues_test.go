package narrator

import (
	"strings"
	"testing"
	"unicode/utf8"
)

var cueCases = []struct {
	in   string
	want map[string]string
}{
	{"colour: blue\nmood: calm\nenergy: low\nobjects: desk, lamp\npeople: none",
		map[string]string{"colour": "blue", "mood": "calm", "energy": "low", "objects": "desk, lamp", "people": "none"}},
	{"**Color:** warm orange.\n- **Mood**: cosy\n1. Energy: Medium", map[string]string{"colour": "warm orange", "mood": "cosy", "energy": "Medium"}},
	{"colour: red; mood: tense; tempo: 120", map[string]string{"colour": "red", "mood": "tense", "tempo": "120"}},
	{"Sure! Here are the cues:\ncolour: grey\ntime: 10:30", map[string]string{"colour": "grey", "time": "10:30"}},
	{"A man sits at a desk.", map[string]string{}},
	{"colour:\n: blue\nthis is not a key at all because it is far too long: x", map[string]string{}},
	{"", map[string]string{}},
}

func TestParseCues(t *testing.T) {
	for _, c := range cueCases {
		got := ParseCues(c.in)
		if len(got.All) != len(c.want) {
			t.Errorf("ParseCues(%q) = %v, want %v", c.in, got.All, c.want)
			continue
		}
		for k, v := range c.want {
			if got.All[k] != v {
				t.Errorf("ParseCues(%q)[%s] = %q, want %q", c.in, k, got.All[k], v)
			}
		}
	}
	c := ParseCues("objects: a desk, a lamp / and a cat\npeople: two")
	if strings.Join(c.Objects, "|") != "a desk|a lamp|a cat" || c.People != "two" {
		t.Errorf("typed fields: %+v", c)
	}
	if got := RenderCues(ParseCues("people: two\nzebra: yes\ncolour: blue.")); got != "Colour: blue. People: two. Zebra: yes." {
		t.Errorf("RenderCues = %q", got)
	}
}

func FuzzParseCues(f *testing.F) {
	for _, c := range cueCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		c := ParseCues(in)
		if len(c.All) > maxCueKeys {
			t.Fatalf("%d keys", len(c.All))
		}
		for k, v := range c.All {
			if !cueKey.MatchString(k) {
				t.Fatalf("key %q", k)
			}
			if v == "" || len(v) > maxCueValueLen || !utf8.ValidString(v) || strings.ContainsAny(v, "\n\r;") {
				t.Fatalf("value %q", v)
			}
		}
		for _, o := range c.Objects {
			if strings.TrimSpace(o) == "" {
				t.Fatalf("empty object in %q", c.Objects)
			}
		}
		if r := RenderCues(c); len(c.All) > 0 && !utf8.ValidString(r) {
			t.Fatalf("render %q", r)
		}
	})
}
