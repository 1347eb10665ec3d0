package reading

import (
	"image"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultMinConfidence is Config.MinConfidence's default: words Tesseract is less sure of than
// this (0-100) are dropped. On camera frames, noise read from texture (a wall, a plant, a
// keyboard) scores up to about 85 and the words of a sign about 95; the evaluation set in
// reading/eval_test.go measures where the line falls (docs/performance.md).
const DefaultMinConfidence = 85

// Word is one word Tesseract read: its text as written, its confidence (0-100) and where it is in
// the frame, in the frame's pixels.
type Word struct {
	Text  string
	Conf  float64
	Box   image.Rectangle
	Line  int // the line it is on, counted in reading order from 0
	Block int // the text block it is in, counted in reading order from 0
}

// page is what the engine read from one image.
type page struct {
	words  []Word
	deskew float64 // the skew Tesseract found and corrected, in radians
	// turned is how far the image was turned clockwise, in degrees, to read it upright: a skew
	// or an orientation the reader found (deskew.go); 0 when read as it came.
	turned float64
}

// Line is one line of text kept: its words that passed the filters, in reading order.
type Line struct {
	Text  string
	Words []Word
	Box   image.Rectangle
}

// keepLines groups words into lines and keeps what reads as text: words at or above minConf
// that look like words (wordLike), on lines where such words are at least half of what was read
// and hold at least two letters or digits between them. A line of noise read from texture is
// dropped whole; a real line keeps its good words. Lines stay in Tesseract's reading order.
func keepLines(words []Word, minConf float64) []Line {
	var out []Line
	for start := 0; start < len(words); {
		end := start + 1
		for end < len(words) && words[end].Line == words[start].Line {
			end++
		}
		if l, ok := keepLine(words[start:end], minConf); ok {
			out = append(out, l)
		}
		start = end
	}
	return out
}

func keepLine(words []Word, minConf float64) (Line, bool) {
	var l Line
	chars := 0
	for _, w := range words {
		if w.Conf < minConf || !wordLike(w.Text) {
			continue
		}
		l.Words = append(l.Words, w)
		l.Box = l.Box.Union(w.Box)
		chars += alnum(w.Text)
	}
	if len(l.Words)*2 < len(words) || chars < 2 {
		return Line{}, false
	}
	texts := make([]string, len(l.Words))
	for i, w := range l.Words {
		texts[i] = w.Text
	}
	l.Text = strings.Join(texts, " ")
	return l, true
}

// alnum counts the letters and digits in s.
func alnum(s string) int {
	n := 0
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			n++
		}
	}
	return n
}

// edgePunct is what may surround a word without counting against it.
const edgePunct = `.,;:!?"'()[]{}«»“”‘’-–—/`

// wordLike reports whether a token reads like a word, a number or a sign's symbol rather than
// texture read as letters: mostly letters or digits, no run of one character three times (but
// digits: 1000), not only thin strokes (Iil), at most one switch from lower to upper case inside
// it (McDonald, but not lIlI read from a grille), a vowel in any run of five letters or more
// written in lower case, and a single character only when it is a digit or a word on its own
// (a, I, &).
func wordLike(tok string) bool {
	core := strings.Trim(tok, edgePunct)
	n := utf8.RuneCountInString(core)
	if n == 0 {
		return false
	}
	letters, digits, others := 0, 0, 0
	for _, r := range core {
		switch {
		case unicode.IsLetter(r):
			letters++
		case unicode.IsDigit(r):
			digits++
		default:
			others++
		}
	}
	if n == 1 {
		return digits == 1 || strings.ContainsAny(core, "aAI&")
	}
	switch {
	case letters+digits == 0:
		return false
	case letters == 0 && others > digits: // numbers keep their separators and currency: £2.50, 9:00
		return false
	case letters > 0 && others*3 > n:
		return false
	}
	if repeats(core) || thin(core) {
		return false
	}
	if digits > 0 {
		return true // numbers, times, prices, room and bus numbers, as written
	}
	if caseFlips(core) > 1 {
		return false
	}
	return !noVowelRun(core)
}

// thin reports a token made only of the thin strokes a grille, a fence or a row of books is
// read as: I, i, l, |, ! and j ("Iil", "lI"), and not a number.
func thin(s string) bool {
	return strings.Trim(s, "Iil|!j") == "" && strings.Trim(s, "0123456789") != ""
}

// repeats reports a letter or symbol written three times in a row (digits may repeat).
func repeats(s string) bool {
	var prev rune
	run := 0
	for _, r := range s {
		if r == prev {
			run++
		} else {
			prev, run = r, 1
		}
		if run >= 3 && !unicode.IsDigit(r) {
			return true
		}
	}
	return false
}

// caseFlips counts the places where a lower-case letter is followed by an upper-case one.
func caseFlips(s string) int {
	flips := 0
	prevLower := false
	for _, r := range s {
		if unicode.IsUpper(r) && prevLower {
			flips++
		}
		prevLower = unicode.IsLower(r)
	}
	return flips
}

// noVowelRun reports five letters or more in a row, not all capitals, without a vowel (y counts):
// "strngth" is noise, "NHS" and "rhythm" are not.
func noVowelRun(s string) bool {
	run, upper := 0, true
	for _, r := range s + " " {
		if unicode.IsLetter(r) && !strings.ContainsRune("aeiouyAEIOUYàáâäèéêëìíîïòóôöùúûüÿ", r) {
			run++
			upper = upper && unicode.IsUpper(r)
			continue
		}
		if run >= 5 && !upper {
			return true
		}
		run, upper = 0, true
	}
	return false
}
