package narrator

import (
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/narrator-dev/narrator/bus"
)

// DefaultReturnAfter is PolicyConfig.ReturnAfter's default: a scene that comes back within 5 s
// of being said is flicker (A-B-A), after that it is news.
const DefaultReturnAfter = 5 * time.Second

// spoken is one description that was said.
type spoken struct {
	descriptionID string
	text          string // what was said
	gist          gist   // of the description, for comparing
	at            time.Time
}

// repeat is the repeat gate's verdict on a description.
type repeat struct {
	of   string  // the spoken description it repeats, or else the closest one
	sim  float64 // its similarity to that one
	dup  bool    // it repeats what the listener heard: say nothing
	back bool    // it is a real change back to a scene said before the last line: say it shortened
}

// realChange reports whether d describes a frame capture sent because the scene changed (or
// the first frame), not a heartbeat of an unchanged scene or a frame of unknown origin.
func realChange(d bus.Description) bool {
	return d.FrameReason == bus.FrameChanged || d.FrameReason == bus.FrameFirst
}

// repeats compares g with what was said, newest first (see docs/narration.md, "Repeat gate"):
//   - the last line said: a paraphrase of it (similarity at or above the threshold, the same
//     news) is a duplicate; the listener has just heard it;
//   - a line said before it, for a description of a real change: a paraphrase of it said at
//     least ReturnAfter ago is a return, said shortened; said sooner, it is A-B-A flicker, a
//     duplicate;
//   - a line said before it, for any other description (a heartbeat), within HistoryWindow: a
//     near repeat (halfway from the threshold to 1) is a duplicate: a model flip-flopping
//     between two wordings of one unchanged scene is not re-narrated.
func (p *Policy) repeats(g gist, change bool, now time.Time) repeat {
	var r repeat
	n := len(p.history)
	for i := n - 1; i >= 0 && i >= n-p.cfg.History; i-- {
		h := p.history[i]
		last := i == n-1
		if !last && !change && now.Sub(h.at) > p.cfg.HistoryWindow {
			break
		}
		s := similarity(g.words, h.gist.words)
		if s > r.sim || r.of == "" {
			r.of, r.sim = h.descriptionID, s
		}
		threshold := p.cfg.Similarity
		if !last && !change {
			threshold = (1 + threshold) / 2
		}
		if s < threshold || !sameNews(g, h.gist, p.salient) {
			continue
		}
		r.of, r.sim = h.descriptionID, s
		if !last && change && now.Sub(h.at) >= p.cfg.ReturnAfter {
			r.back = true
		} else {
			r.dup = true
		}
		return r
	}
	return r
}

// remember records that text was said for a description whose gist is g.
func (p *Policy) remember(descriptionID, text string, g gist, now time.Time) {
	p.history = append(p.history, spoken{descriptionID: descriptionID, text: text, gist: g, at: now})
	if len(p.history) > p.cfg.History {
		p.history = append(p.history[:0], p.history[len(p.history)-p.cfg.History:]...)
	}
}

// backTo is what is said for a return to a scene said before: "Back to: " and the first
// sentence, at most as long as the short verbosity allows.
func backTo(sentences []string) string {
	first := limit(sentences, Short)[0]
	r, n := utf8.DecodeRuneInString(first)
	if next, _ := utf8.DecodeRuneInString(first[n:]); !unicode.IsUpper(next) && !strings.HasPrefix(first, "I ") {
		first = string(unicode.ToLower(r)) + first[n:] // "Back to: a lit room", but "TV", "I"
	}
	return "Back to: " + first
}
