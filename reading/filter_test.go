package reading

import (
	"image"
	"strings"
	"testing"
)

var wordLikeCases = []struct {
	tok  string
	want bool
}{
	{"ENTRY", true},
	{"Platform", true},
	{"10:45", true},
	{"2.50", true},
	{"1000", true},
	{"£2.50", true},
	{"(Monday)", true},
	{"hands.", true},
	{"McDonald", true},
	{"NHS", true},
	{"rhythm", true},
	{"a", true},
	{"I", true},
	{"&", true},
	{"7", true},
	{"x", false},    // a lone letter is the commonest noise
	{"|", false},    // a line of texture
	{"---", false},  // no letters or digits
	{"lIlI", false}, // a grille
	{"Iil", false},
	{"11", true},
	{"aBcDe", false},
	{"mmm", false}, // three of a letter
	{"strngth", false},
	{"#%&*", false},
	{"a'b;c:d", false}, // mostly symbols
	{"", false},
	{"...", false},
}

func TestWordLike(t *testing.T) {
	for _, c := range wordLikeCases {
		if got := wordLike(c.tok); got != c.want {
			t.Errorf("wordLike(%q) = %v, want %v", c.tok, got, c.want)
		}
	}
}

func FuzzWordLike(f *testing.F) {
	for _, c := range wordLikeCases {
		f.Add(c.tok)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if wordLike(tok) && alnum(tok) == 0 && strings.Trim(tok, edgePunct) != "&" {
			t.Errorf("wordLike(%q) with no letter or digit", tok)
		}
	})
}

// words makes a line's words from "TEXT/CONF" tokens; lines are separated by " | ".
func words(spec string) []Word {
	var ws []Word
	for i, line := range strings.Split(spec, " | ") {
		for j, tok := range strings.Fields(line) {
			text, conf, _ := strings.Cut(tok, "/")
			c := 96.0
			if conf != "" {
				c = 0
				for _, d := range conf {
					c = c*10 + float64(d-'0')
				}
			}
			ws = append(ws, Word{Text: text, Conf: c, Line: i, Box: image.Rect(j*100, i*50, j*100+90, i*50+40)})
		}
	}
	return ws
}

func TestKeepLines(t *testing.T) {
	cases := []struct {
		name, words string
		want        []string
	}{
		{"a sign", "NO ENTRY", []string{"NO ENTRY"}},
		{"two lines", "Opening hours | Monday to Friday 9:00", []string{"Opening hours", "Monday to Friday 9:00"}},
		{"unsure word dropped", "Fresh bread 2.50/62 a loaf", []string{"Fresh bread a loaf"}},
		{"noise line dropped", "NO ENTRY | x/70 ll/60 mmm |/50", []string{"NO ENTRY"}},
		{"texture read below 85 dropped", "Wool/84 rnrn/80", nil},
		{"thin strokes dropped", "Iil/90 lI/92", nil},
		{"mostly unsure: dropped whole", "WET/90 fl/40 oo/30 r/20", nil},
		{"one letter is not a line", "A", nil},
		{"digits are kept as digits", "214", []string{"214"}},
		{"nothing", "", nil},
	}
	for _, c := range cases {
		var got []string
		for _, l := range keepLines(words(c.words), DefaultMinConfidence) {
			got = append(got, l.Text)
		}
		if strings.Join(got, "/") != strings.Join(c.want, "/") {
			t.Errorf("%s: keepLines(%q) = %q, want %q", c.name, c.words, got, c.want)
		}
	}
}
