package narrator

import (
	"regexp"
	"strings"
	"unicode"
	"unicode/utf8"
)

// Verbosity is how much of a description is said.
type Verbosity int

// Verbosity levels, from least to most said.
const (
	Short    Verbosity = iota - 1 // the first sentence, at most 15 words
	Normal                        // up to 2 sentences, at most 35 words (the zero value)
	Detailed                      // up to 5 sentences, at most 90 words
)

var verbosityNames = []string{"short", "normal", "detailed"}

// String names the level: short, normal or detailed.
func (v Verbosity) String() string {
	if v < Short || v > Detailed {
		return "normal"
	}
	return verbosityNames[v-Short]
}

// ParseVerbosity reads short, normal or detailed.
func ParseVerbosity(s string) (Verbosity, bool) {
	for i, n := range verbosityNames {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Verbosity(i) + Short, true
		}
	}
	return Normal, false
}

// limits is how many sentences and words a verbosity allows.
func (v Verbosity) limits() (sentences, words int) {
	switch v {
	case Short:
		return 1, 15
	case Detailed:
		return 5, 90
	}
	return 2, 35
}

// boilerplate matches the openings models put before the content of a sentence.
var boilerplate = []*regexp.Regexp{
	regexp.MustCompile(`(?i)^(sure|certainly|okay|ok|of course)\b[,.!:]?\s*`),
	regexp.MustCompile(`(?i)^here(\s+is|'s)\s+(a|an|the|my)?\s*(brief|short|detailed)?\s*description(\s+of\s+(the|this)\s+(image|picture|photo|scene))?\s*[:.,-]?\s*`),
	regexp.MustCompile(`(?i)^(description|answer)\s*:\s*`),
	regexp.MustCompile(`(?i)^(the|this)\s+(image|picture|photo|photograph|frame|scene|video|camera\s+view|view|camera)\s+(also\s+)?(shows|depicts|displays|features|captures|contains|presents|is\s+showing|is\s+of|appears\s+to\s+show|seems\s+to\s+show)(\s+that)?\s*(there\s+(is|are)\s+)?`),
	regexp.MustCompile(`(?i)^(in|within|on)\s+(the|this)\s+(image|picture|photo|photograph|frame|scene|video|view)\s*,?\s*((we|you|i)\s+can\s+see|there\s+(is|are)|is|are)?\s*`),
	regexp.MustCompile(`(?i)^this\s+is\s+(an?\s+)?(image|picture|photo|photograph|frame|view)\s+(of|showing)\s*`),
	regexp.MustCompile(`(?i)^(i|we|you)\s+(can\s+)?see\s*`),
	regexp.MustCompile(`(?i)^it\s+(appears|seems)\s+(that|to\s+be)\s*`),
	regexp.MustCompile(`(?i)^it\s+looks\s+like\s*`),
}

// markup matches Markdown emphasis and list markers that should not be read aloud.
var (
	emphasis   = regexp.MustCompile(`\*\*|__|[*_` + "`" + `#]+`)
	listMarker = regexp.MustCompile(`^\s*([-*•]|\d+[.)])\s+`)
)

// abbreviations end in a period without ending a sentence.
var abbreviations = map[string]bool{"mr": true, "mrs": true, "ms": true, "dr": true, "st": true, "vs": true, "etc": true, "e.g": true, "i.e": true, "approx": true}

// splitSentences splits text into sentences. A sentence is complete when a terminator (. ! ? …)
// is followed by white space, or ends the text and final is true. The unfinished tail, if any,
// is returned apart.
func splitSentences(text string, final bool) (complete []string, tail string) {
	start := 0
	for i, r := range text {
		if i < start || (r != '.' && r != '!' && r != '?' && r != '…') {
			continue // inside a run of terminators already taken, or not a terminator
		}
		end := i + utf8.RuneLen(r)
		// Take a run of terminators and closing quotes with it.
		for end < len(text) && strings.ContainsRune(`.!?…"')`, rune(text[end])) {
			end++
		}
		atEnd := end == len(text)
		if atEnd && !final {
			break
		}
		if !atEnd && !unicode.IsSpace(rune(text[end])) {
			continue
		}
		if r == '.' && isAbbreviation(text[start:i]) {
			continue
		}
		if s := strings.TrimSpace(text[start:end]); s != "" {
			complete = append(complete, s)
		}
		start = end
	}
	return complete, strings.TrimSpace(text[start:])
}

func isAbbreviation(before string) bool {
	f := strings.Fields(before)
	if len(f) == 0 {
		return false
	}
	w := strings.ToLower(f[len(f)-1])
	return abbreviations[w] || (len(w) == 1 && unicode.IsLetter(rune(w[0])) && unicode.IsUpper(rune(f[len(f)-1][0])))
}

// lines turns model output into sentence text: markup and list markers removed, and each line
// that is followed by another ended with a period, so lists read as sentences.
func lines(text string) string {
	var b strings.Builder
	ls := strings.Split(strings.ReplaceAll(text, "\r", "\n"), "\n")
	for i, l := range ls {
		item := listMarker.MatchString(l)
		l = strings.TrimSpace(emphasis.ReplaceAllString(listMarker.ReplaceAllString(l, ""), " "))
		if l == "" {
			continue
		}
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(l)
		// A line followed by another, or a list item, is complete even without a period.
		if (i < len(ls)-1 || item) && !endsSentence(l) && !strings.HasSuffix(l, ":") {
			b.WriteByte('.')
		}
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

func endsSentence(s string) bool {
	s = strings.TrimRight(s, `"')`)
	return strings.HasSuffix(s, ".") || strings.HasSuffix(s, "!") || strings.HasSuffix(s, "?") || strings.HasSuffix(s, "…")
}

// cleanSentence strips boilerplate openings and capitalises what is left; it returns "" when
// nothing worth saying remains.
func cleanSentence(s string) string {
	for changed := true; changed; {
		changed = false
		for _, re := range boilerplate {
			if loc := re.FindStringIndex(s); loc != nil && loc[1] > 0 && wordBoundary(s, loc[1]) {
				s = s[loc[1]:]
				changed = true
			}
		}
	}
	s = strings.TrimSpace(strings.TrimLeft(s, ",;:-– "))
	if !hasWord(s) {
		return ""
	}
	r, n := utf8.DecodeRuneInString(s)
	return string(unicode.ToUpper(r)) + s[n:]
}

// wordBoundary reports whether i in s does not fall inside a word.
func wordBoundary(s string, i int) bool {
	if i >= len(s) {
		return true
	}
	before, _ := utf8.DecodeLastRuneInString(s[:i])
	after, _ := utf8.DecodeRuneInString(s[i:])
	return !isWordRune(before) || !isWordRune(after)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) || r == '\'' }

func hasWord(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// text is a description's text normalised once, as it travels through the policy: model markup
// and list markers gone, lines ended as sentences, and split into the complete sentences as the
// model wrote them and the unfinished tail. Nothing else in the package splits sentences.
type text struct {
	sentences []string
	tail      string
}

// normalise turns a description's text into a text.
func normalise(s string) text {
	complete, tail := splitSentences(lines(s), false)
	return text{sentences: complete, tail: tail}
}

// first is the first complete sentence worth saying, cleaned, and how many sentences it took;
// "" when no complete sentence is worth saying yet.
func (t text) first() (sentence string, used int) {
	for i, s := range t.sentences {
		if c := cleanSentence(s); c != "" {
			return c, i + 1
		}
	}
	return "", 0
}

// from is the sentences worth saying from complete sentence n on: boilerplate stripped, an
// unfinished trailing fragment dropped when a complete sentence precedes it (else kept whole
// and ended with a period).
func (t text) from(n int) []string {
	var out []string
	if n < len(t.sentences) {
		for _, s := range t.sentences[n:] {
			out = appendNew(out, cleanSentence(s))
		}
	}
	if t.tail != "" {
		if endsSentence(t.tail) || len(out) == 0 {
			if c := cleanSentence(t.tail); c != "" {
				if !endsSentence(c) {
					c = strings.TrimRight(c, ",;:-– ") + "."
				}
				out = appendNew(out, c)
			}
		}
	}
	return out
}

// clean is the sentences of a final description worth saying (normalise(text).from(0)).
func clean(s string) []string { return normalise(s).from(0) }

// appendNew appends sentence s unless it is empty or repeats one already there (models that
// loop say the same sentence again).
func appendNew(sentences []string, s string) []string {
	if s == "" {
		return sentences
	}
	for _, o := range sentences {
		if strings.EqualFold(o, s) {
			return sentences
		}
	}
	return append(sentences, s)
}

// limit keeps as many whole sentences as v allows; a first sentence longer than the word limit
// is cut at a word boundary, never inside a word.
func limit(sentences []string, v Verbosity) []string {
	maxSentences, maxWords := v.limits()
	var out []string
	words := 0
	for _, s := range sentences {
		n := len(strings.Fields(s))
		if len(out) == maxSentences || (len(out) > 0 && words+n > maxWords) {
			break
		}
		if len(out) == 0 && n > maxWords {
			out = append(out, cutWords(s, maxWords))
			break
		}
		out = append(out, s)
		words += n
	}
	return out
}

// cutWords keeps the first n words of s, without dangling little words, and ends it with a period.
func cutWords(s string, n int) string {
	f := strings.Fields(s)
	if len(f) > n {
		f = f[:n]
	}
	for len(f) > 1 && stopWords[strings.ToLower(strings.Trim(f[len(f)-1], ",;:"))] {
		f = f[:len(f)-1]
	}
	return strings.TrimRight(strings.Join(f, " "), ",;:-– ") + "."
}
