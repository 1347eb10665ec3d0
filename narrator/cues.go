package narrator

import (
	"regexp"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/narrator-dev/narrator/bus"
)

// Cue limits: more keys, or longer keys or values, are model rambling, not cues.
const (
	maxCueKeys     = 32
	maxCueValueLen = 200
)

var cueKey = regexp.MustCompile(`^[a-z][a-z0-9 _-]{0,31}$`)

// cueAliases maps the spellings models use to the canonical cue keys.
var cueAliases = map[string]string{
	"color": "colour", "colors": "colour", "colours": "colour", "dominant colour": "colour",
	"dominant colours": "colour", "dominant color": "colour", "dominant colors": "colour",
	"object": "objects", "items": "objects", "things": "objects",
	"person": "people", "persons": "people", "people count": "people", "humans": "people",
	"emotion": "mood", "atmosphere": "mood", "energy level": "energy",
}

// ParseCues reads director-mode model output: `key: value` pairs, one per line or separated by
// semicolons. Markdown emphasis and list markers are ignored, keys are lowercased and mapped to
// colour, mood, energy, objects and people where they mean those, and lines that are not cues
// are skipped. The typed fields of the result are filled from the known keys; All holds every
// key. It never fails: output without cues gives a Cue with an empty All.
func ParseCues(text string) bus.Cue {
	c := bus.Cue{All: map[string]string{}}
	for _, line := range strings.FieldsFunc(text, func(r rune) bool { return r == '\n' || r == '\r' || r == ';' }) {
		line = strings.TrimSpace(emphasis.ReplaceAllString(listMarker.ReplaceAllString(line, ""), " "))
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		k = strings.Join(strings.Fields(strings.ToLower(k)), " ")
		if !cueKey.MatchString(k) {
			continue
		}
		if a, ok := cueAliases[k]; ok {
			k = a
		}
		v = strings.TrimRight(strings.Join(strings.Fields(v), " "), ".,;")
		if v == "" || !utf8.ValidString(v) {
			continue
		}
		if len(v) > maxCueValueLen {
			v = truncateUTF8(v, maxCueValueLen)
		}
		if _, dup := c.All[k]; !dup && len(c.All) == maxCueKeys {
			continue
		}
		c.All[k] = v
	}
	c.Colour, c.Mood, c.Energy, c.People = c.All["colour"], c.All["mood"], c.All["energy"], c.All["people"]
	if o := c.All["objects"]; o != "" {
		for _, item := range strings.FieldsFunc(o, func(r rune) bool { return r == ',' || r == '/' }) {
			item = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(item), "and "))
			if item != "" {
				c.Objects = append(c.Objects, item)
			}
		}
	}
	return c
}

func truncateUTF8(s string, n int) string {
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// RenderCues says cues as short sentences, known keys first: "Colour: blue. Mood: calm."
func RenderCues(c bus.Cue) string {
	keys := make([]string, 0, len(c.All))
	for k := range c.All {
		keys = append(keys, k)
	}
	rank := map[string]int{"colour": 1, "mood": 2, "energy": 3, "objects": 4, "people": 5}
	sort.Slice(keys, func(i, j int) bool {
		ri, rj := rank[keys[i]], rank[keys[j]]
		if ri == 0 {
			ri = 99
		}
		if rj == 0 {
			rj = 99
		}
		if ri != rj {
			return ri < rj
		}
		return keys[i] < keys[j]
	})
	var b strings.Builder
	for _, k := range keys {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(strings.ToUpper(k[:1]) + k[1:] + ": " + strings.TrimRight(c.All[k], ".!?") + ".")
	}
	return b.String()
}
