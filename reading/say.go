package reading

import (
	"slices"
	"strings"
)

// DefaultMaxLines and DefaultMaxWords are Config.MaxLines' and Config.MaxWords' defaults: what
// is said unasked stops after three lines or 25 words with "more text"; `ctl read` (or the read
// key) says the rest.
const (
	DefaultMaxLines = 3
	DefaultMaxWords = 25
)

// Leads start every reading so it is told apart from a description: a sign (a few words in
// large letters) or text.
const (
	LeadSign = "Sign:"
	LeadText = "Text:"
	// MoreText ends a reading that was cut.
	MoreText = "… more text."
	// NoText is the answer to a read request when nothing was read.
	NoText = "No text."
)

// signLines, signWords and signHeight say what a sign is: at most two lines and five words,
// in letters at least a fifteenth of the frame's height tall.
const (
	signLines  = 2
	signWords  = 5
	signHeight = 15
)

// lead is LeadSign for a few words in large letters, else LeadText.
func lead(lines []Line, frameHeight int) string {
	words := 0
	var heights []int
	for _, l := range lines {
		words += len(l.Words)
		for _, w := range l.Words {
			heights = append(heights, w.Box.Dy())
		}
	}
	if len(lines) == 0 || len(lines) > signLines || words > signWords || frameHeight <= 0 {
		return LeadText
	}
	slices.Sort(heights)
	if heights[len(heights)/2]*signHeight >= frameHeight {
		return LeadSign
	}
	return LeadText
}

// compose says lines after their lead, each line a sentence of its own (a full stop is added
// to a line that does not end in punctuation, so the voice pauses between lines). With
// maxLines or maxWords above zero it stops after that many lines or words and ends with
// MoreText; cut reports whether it did.
func compose(lead string, lines []Line, maxLines, maxWords int) (text string, cut bool) {
	var b strings.Builder
	b.WriteString(lead)
	words := 0
	for i, l := range lines {
		if maxLines > 0 && i >= maxLines {
			cut = true
			break
		}
		ws := strings.Fields(l.Text)
		if maxWords > 0 && words+len(ws) > maxWords {
			ws = ws[:max(0, maxWords-words)]
			cut = true
		}
		if len(ws) == 0 {
			break
		}
		words += len(ws)
		line := strings.Join(ws, " ")
		b.WriteString(" ")
		b.WriteString(line)
		if cut {
			break
		}
		if !strings.ContainsAny(line[len(line)-1:], ".!?:;,") {
			b.WriteString(".")
		}
	}
	if cut {
		b.WriteString(" ")
		b.WriteString(MoreText)
	}
	return b.String(), cut
}
