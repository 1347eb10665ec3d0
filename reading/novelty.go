package reading

import (
	"strings"
	"time"
	"unicode"
)

// DefaultForget is Config.Forget's default: text is news again once it has not been read for
// 30 seconds. A sign that stays in view is read again and again and stays known; one the camera
// comes back to within the window is not said twice.
const DefaultForget = 30 * time.Second

// DefaultMatch is Config.Match's default: a line is the same as one read recently when at most a
// quarter of its characters differ (Tesseract misreads one or two letters of a sign from frame to
// frame: "NO ENTRY", "NO ENTRV"), or when it is such a part of a line read (a sign half hidden).
const DefaultMatch = 0.25

// maxRemembered bounds the lines a memory keeps; the oldest go first.
const maxRemembered = 64

// memory is what one camera's reader has read recently: the lines, as compared (normKey), and
// when each was last read.
type memory struct {
	lines []remembered
}

type remembered struct {
	key string
	at  time.Time
}

// fresh returns the lines that are news at now (not matching what was read within forget),
// then remembers every line read, news or not, as read at now. match is the share of characters
// that may differ (see DefaultMatch).
func (m *memory) fresh(lines []Line, now time.Time, forget time.Duration, match float64) []Line {
	kept := m.lines[:0]
	for _, r := range m.lines {
		if now.Sub(r.at) <= forget {
			kept = append(kept, r)
		}
	}
	m.lines = kept
	var all []string
	for _, r := range m.lines {
		all = append(all, r.key)
	}
	joined := strings.Join(all, " ") // a line read as two, or two as one, still matches
	var news []Line
	for _, l := range lines {
		key := normKey(l.Text)
		if key == "" {
			continue
		}
		if i := m.find(key, match); i >= 0 {
			m.lines[i].at = now
			continue
		}
		if within(key, joined, match) {
			m.touch(key, now, match)
			continue
		}
		news = append(news, l)
		m.lines = append(m.lines, remembered{key: key, at: now})
	}
	if over := len(m.lines) - maxRemembered; over > 0 {
		m.lines = append(m.lines[:0], m.lines[over:]...)
	}
	return news
}

// find is the index of a remembered line key matches, or -1.
func (m *memory) find(key string, match float64) int {
	for i, r := range m.lines {
		if within(key, r.key, match) {
			return i
		}
	}
	return -1
}

// touch marks as read now the remembered lines that share words with key (a line read across
// several remembered ones).
func (m *memory) touch(key string, now time.Time, match float64) {
	for i, r := range m.lines {
		if within(r.key, key, match) {
			m.lines[i].at = now
		}
	}
}

// shortKey is the length under which a line must match whole words exactly: "NO" is not news
// after "NO ENTRY", but it is after "NOTICE".
const shortKey = 4

// normKey is how lines are compared: letters and digits in upper case, runs of anything else
// one space.
func normKey(s string) string {
	var b strings.Builder
	space := false
	for _, r := range s {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(unicode.ToUpper(r))
			continue
		}
		space = true
	}
	return b.String()
}

// within reports whether a matches somewhere inside b with at most match·len(a) characters
// inserted, deleted or replaced (approximate substring search, Sellers' algorithm). a equal to
// b, or a word or two of it, is within it.
func within(a, b string, match float64) bool {
	ra, rb := []rune(a), []rune(b)
	if len(ra) == 0 {
		return true
	}
	if len(ra) < shortKey { // too short to tell a misreading from another word: whole words only
		return strings.Contains(" "+b+" ", " "+a+" ")
	}
	if len(rb) == 0 {
		return false
	}
	limit := int(match * float64(len(ra)))
	prev := make([]int, len(rb)+1) // row 0: a match may start anywhere in b
	cur := make([]int, len(rb)+1)
	for i := 1; i <= len(ra); i++ {
		cur[0] = i
		best := cur[0]
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j-1]+cost, prev[j]+1, cur[j-1]+1)
			best = min(best, cur[j])
		}
		if best > limit {
			return false // every alignment already costs more
		}
		prev, cur = cur, prev
	}
	for _, d := range prev {
		if d <= limit {
			return true
		}
	}
	return false
}
