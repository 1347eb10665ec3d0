package web

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// parsedCue is a cue read back from a caption file.
type parsedCue struct {
	start, end time.Duration
	text       string
}

var cueTiming = regexp.MustCompile(`^(\d{2}):(\d{2}):(\d{2})([.,])(\d{3}) --> (\d{2}):(\d{2}):(\d{2})([.,])(\d{3})$`)

// parseCaptions reads a WebVTT or SubRip file the strict way: numbered blocks of a timing line
// and one text line, separated by blank lines; sep is '.' for WebVTT, ',' for SubRip.
func parseCaptions(t testing.TB, data string, vtt bool) []parsedCue {
	t.Helper()
	sep := ","
	if vtt {
		sep = "."
		rest, ok := strings.CutPrefix(data, "WEBVTT\n\n")
		if !ok {
			t.Fatalf("no WEBVTT header: %.40q", data)
		}
		data = rest
	}
	var cues []parsedCue
	for i, block := range strings.Split(strings.TrimSuffix(data, "\n\n"), "\n\n") {
		if block == "" && len(cues) == 0 {
			continue
		}
		lines := strings.Split(block, "\n")
		if vtt && strings.HasPrefix(lines[0], "NOTE") {
			continue
		}
		if len(lines) != 3 {
			t.Fatalf("block %d has %d lines: %q", i, len(lines), block)
		}
		if n, err := strconv.Atoi(lines[0]); err != nil || n != len(cues)+1 {
			t.Fatalf("block %d numbered %q, want %d", i, lines[0], len(cues)+1)
		}
		m := cueTiming.FindStringSubmatch(lines[1])
		if m == nil || m[4] != sep || m[9] != sep {
			t.Fatalf("timing line %q", lines[1])
		}
		at := func(h, mi, s, ms string) time.Duration {
			n := func(v string) time.Duration { x, _ := strconv.Atoi(v); return time.Duration(x) }
			return n(h)*time.Hour + n(mi)*time.Minute + n(s)*time.Second + n(ms)*time.Millisecond
		}
		c := parsedCue{start: at(m[1], m[2], m[3], m[5]), end: at(m[6], m[7], m[8], m[10]), text: lines[2]}
		if c.end <= c.start {
			t.Fatalf("cue %q ends before it starts", lines[1])
		}
		if vtt {
			if strings.ContainsAny(c.text, "<>") || strings.Contains(strings.ReplaceAll(strings.ReplaceAll(strings.ReplaceAll(c.text, "&amp;", ""), "&lt;", ""), "&gt;", ""), "&") {
				t.Fatalf("unescaped markup in %q", c.text)
			}
			c.text = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(c.text)
		}
		cues = append(cues, c)
	}
	return cues
}

func TestCaptionFilesMatchTheSpokenLines(t *testing.T) {
	origin := time.Date(2026, 5, 1, 12, 0, 0, 0, time.UTC)
	s, conn := serve(t, Config{Now: func() time.Time { return origin }})
	lines := []struct {
		id, text     string
		start, end   time.Duration // end 0: never reported
		wantEnd      time.Duration
		interruptedA bool
	}{
		{"u1", "A person sits at a desk.", 1500 * time.Millisecond, 3200 * time.Millisecond, 3200 * time.Millisecond, false},
		{"u2", "Text with <b>markup</b> & --> arrows\nand a second line.", 4 * time.Second, 0, 6 * time.Second, false}, // ends when u3 starts
		{"u3", "Paused.", 6 * time.Second, 0, 7500 * time.Millisecond, false},                                          // a short line lasts minCue
		{"u4", "Cut short.", 3661 * time.Second, 3661100 * time.Millisecond, 3662500 * time.Millisecond, true},         // shown at least minCue
		{"u5", "Said over.", 3670 * time.Second, 3675 * time.Second, 3675 * time.Second, false},                        // the voice still speaks when u6 starts
		{"u6", "Urgent.", 3671 * time.Second, 3671 * time.Second, 3672 * time.Second, false},                           // read until u7 starts
		{"u7", "Handed over.", 3672 * time.Second, 3673 * time.Second, 3673500 * time.Millisecond, false},
	}
	for _, l := range lines {
		say(t, conn, l.id, l.text, bus.PriorityNormal, origin.Add(l.start), time.Time{})
		if l.end > 0 {
			state := bus.SpeechFinished
			if l.interruptedA {
				state = bus.SpeechInterrupted
			}
			publish(t, conn, bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: l.id, State: state, Text: l.text, At: origin.Add(l.end)})
		}
	}
	// A line never spoken (dropped) is not captioned.
	publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: "u8", Text: "superseded", CreatedAt: origin.Add(7 * time.Second)})
	publish(t, conn, bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: "u8", State: bus.SpeechDropped, Reason: bus.ReasonSuperseded, At: origin.Add(7 * time.Second)})
	bustest.Eventually(t, 5*time.Second, "every line seen", func() bool {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		return len(s.hub.cues.cues) == 7 && !s.hub.cues.cues[6].end.IsZero() && s.hub.st.Speech == "idle"
	})
	for _, vtt := range []bool{true, false} {
		path := "/captions.srt"
		if vtt {
			path = "/captions.vtt"
		}
		code, body := get(t, s, path)
		if code != 200 {
			t.Fatalf("GET %s: %d", path, code)
		}
		cues := parseCaptions(t, body, vtt)
		if len(cues) != len(lines) {
			t.Fatalf("%s: %d cues, want %d:\n%s", path, len(cues), len(lines), body)
		}
		for i, l := range lines {
			want := strings.Join(strings.Fields(strings.ReplaceAll(l.text, "-->", "→")), " ")
			if c := cues[i]; c.text != want || c.start != l.start || c.end != l.wantEnd {
				t.Errorf("%s cue %d = %v-%v %q, want %v-%v %q", path, i+1, c.start, c.end, c.text, l.start, l.wantEnd, want)
			}
		}
	}
}

func TestCaptionLogIsBoundedAndCounted(t *testing.T) {
	counters := bus.NewCounters()
	l := newCueLog(3, counters.Counter(bus.CounterWebCaptionsDropped))
	origin := time.Now()
	for i := range 10 {
		l.add(fmt.Sprint(i), fmt.Sprint("line ", i), origin.Add(time.Duration(i)*time.Minute), false)
	}
	got := l.timeline(origin)
	if len(got) != 3 || got[0].text != "line 7" || counters.Counter(bus.CounterWebCaptionsDropped).Load() != 7 {
		t.Fatalf("timeline %+v, dropped %d; want lines 7-9 and 7 dropped", got, counters.Counter(bus.CounterWebCaptionsDropped).Load())
	}
}

func FuzzCaptionFiles(f *testing.F) {
	for _, s := range []string{"A cup.", "<i>x</i> & y", "a --> b", "two\n\nparagraphs", "   ", "é 😀 -->>", "&amp;"} {
		f.Add(s, int64(1500))
	}
	f.Fuzz(func(t *testing.T, text string, startMS int64) {
		if startMS < 0 || startMS > 1e9 {
			return
		}
		origin := time.Unix(0, 0)
		l := newCueLog(4, &bus.Counter{})
		l.add("a", text, origin.Add(time.Duration(startMS)*time.Millisecond), false)
		l.add("b", "next", origin.Add(time.Duration(startMS)*time.Millisecond+time.Hour), false)
		cues := l.timeline(origin)
		var vtt, srt bytes.Buffer
		if err := writeVTT(&vtt, cues, origin); err != nil {
			t.Fatal(err)
		}
		if err := writeSRT(&srt, cues); err != nil {
			t.Fatal(err)
		}
		for _, c := range [][]parsedCue{parseCaptions(t, vtt.String(), true), parseCaptions(t, srt.String(), false)} {
			if len(c) != len(cues) {
				t.Fatalf("%d cues read back, want %d", len(c), len(cues))
			}
			for i := range c {
				if c[i].text != cues[i].text || c[i].start != cues[i].start.Truncate(time.Millisecond) {
					t.Fatalf("cue %d read back as %+v, want %+v", i, c[i], cues[i])
				}
			}
		}
	})
}
