package web

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// cueLog is the run's spoken lines with their times, for /captions.vtt and /captions.srt:
// at most max, the oldest forgotten and counted beyond it.
type cueLog struct {
	max     int
	cues    []cue
	dropped *bus.Counter
}

type cue struct {
	id         string
	text       string
	start, end time.Time // end is zero until the line is known to have ended
}

// Cue timing bounds: a line whose end is unknown lasts as long as it takes to say at an
// ordinary pace, at least minCue; every cue stays at least minCue to be read (a text speaker
// ends a line the moment it starts), unless the next line starts first, and never less than
// shortestCue.
const (
	perWord     = 400 * time.Millisecond // 150 words per minute
	minCue      = 1500 * time.Millisecond
	shortestCue = 100 * time.Millisecond
)

func newCueLog(limit int, dropped *bus.Counter) *cueLog {
	return &cueLog{max: limit, dropped: dropped}
}

// add records a line said from start; open says its end will be reported (speech events).
func (l *cueLog) add(id, text string, start time.Time, open bool) {
	c := cue{id: id, text: text, start: start}
	if !open {
		c.end = start.Add(sayingTime(text))
	}
	l.cues = append(l.cues, c)
	if len(l.cues) > l.max {
		n := copy(l.cues, l.cues[len(l.cues)-l.max:])
		clear(l.cues[n:])
		l.cues = l.cues[:n]
		l.dropped.Add(1)
	}
}

// end records when the line id stopped being said (finished or interrupted).
func (l *cueLog) end(id string, at time.Time) {
	for i := len(l.cues) - 1; i >= 0 && i >= len(l.cues)-64; i-- {
		if l.cues[i].id == id {
			if l.cues[i].end.IsZero() {
				l.cues[i].end = at
			}
			return
		}
	}
}

// sayingTime is how long text takes to say at an ordinary pace.
func sayingTime(text string) time.Duration {
	return max(minCue, time.Duration(len(strings.Fields(text)))*perWord)
}

// timed is one cue ready to write: times from the start of the run.
type timed struct {
	start, end time.Duration
	text       string
}

// timeline returns the cues relative to origin. A cue whose end is unknown ends when it would
// have been said, or when the next line starts, whichever is first.
func (l *cueLog) timeline(origin time.Time) []timed {
	out := make([]timed, 0, len(l.cues))
	for i, c := range l.cues {
		next := time.Time{}
		if i+1 < len(l.cues) {
			next = l.cues[i+1].start
		}
		end := c.end
		if end.IsZero() {
			end = before(c.start.Add(sayingTime(c.text)), next)
		} else {
			// The voice's own end stands (the next line may start during a hand-over); only the
			// time added for reading gives way to the next line.
			end = later(end, before(c.start.Add(minCue), next))
		}
		start := max(0, c.start.Sub(origin))
		stop := max(end.Sub(origin), start+shortestCue)
		text := cueText(c.text)
		if text == "" {
			continue
		}
		out = append(out, timed{start: start, end: stop, text: text})
	}
	return out
}

// before is t, or next when it is set and earlier.
func before(t, next time.Time) time.Time {
	if !next.IsZero() && next.Before(t) {
		return next
	}
	return t
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// cueText makes text safe inside a cue: one line (a blank line would end the cue), no "-->",
// and for WebVTT no markup (escaped in writeVTT).
func cueText(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "-->", "→")
}

// writeVTT writes the cues as WebVTT (https://www.w3.org/TR/webvtt1/).
func writeVTT(w io.Writer, cues []timed, started time.Time) error {
	var b strings.Builder
	b.WriteString("WEBVTT\n\nNOTE narrator captions; times from the start of the run at ")
	b.WriteString(started.UTC().Format(time.RFC3339))
	b.WriteString("\n\n")
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	for i, c := range cues {
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, clock(c.start, '.'), clock(c.end, '.'), esc.Replace(c.text))
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// writeSRT writes the cues as SubRip.
func writeSRT(w io.Writer, cues []timed) error {
	var b strings.Builder
	for i, c := range cues {
		fmt.Fprintf(&b, "%d\n%s --> %s\n%s\n\n", i+1, clock(c.start, ','), clock(c.end, ','), c.text)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// clock formats d as HH:MM:SS.mmm with sep before the milliseconds.
func clock(d time.Duration, sep byte) string {
	ms := d.Milliseconds()
	return fmt.Sprintf("%02d:%02d:%02d%c%03d", ms/3600000, ms/60000%60, ms/1000%60, sep, ms%1000)
}
