//go:build cgo

package reading

import (
	"context"
	"fmt"
	"math"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// The evaluation set: text rendered into 1024×576 frames (fonts, sizes, angles, blur, noise,
// JPEG compression, low contrast, textured and coloured backgrounds) and scenes without text
// that must produce nothing. TestEval holds the reader to its measured figures; BenchmarkEval
// reports them (docs/performance.md); BenchmarkRead times one frame.

// evalText is the text scenes: each frame shows Lines.
var evalText = []scene{
	{Lines: []string{"NO ENTRY"}, Font: "bold", Size: 72, Color: true, Texture: "bricks"},
	{Lines: []string{"EXIT"}, Font: "bold", Size: 96},
	{Lines: []string{"Platform 2 departures 10:45"}, Size: 32},
	{Lines: []string{"Opening hours", "Monday to Friday 9:00 - 17:30"}, Size: 28, Texture: "gradient"},
	{Lines: []string{"CAUTION WET FLOOR"}, Font: "bold", Size: 48, Angle: 5},
	{Lines: []string{"Room 214"}, Font: "mono", Size: 40, Angle: -10},
	{Lines: []string{"Please wash your hands"}, Font: "italic", Size: 36},
	{Lines: []string{"Fresh bread 2.50 a loaf"}, Size: 24, Blur: 1},
	{Lines: []string{"PUSH TO OPEN"}, Font: "bold", Size: 40, Noise: 18},
	{Lines: []string{"Keep this door closed"}, Size: 36, Quality: 25},
	{Lines: []string{"Quiet please"}, Size: 44, Ink: 120, Bg: 160},
	{Lines: []string{"Bus 47 to the station"}, Font: "mono", Size: 18},
	{Lines: []string{"Staff only beyond this point"}, Font: "bold", Size: 34, Angle: 15},
	{Lines: []string{"Toilets", "Lift to level 3"}, Size: 40, Texture: "noise"},
	{Lines: []string{"STOP"}, Font: "bold", Size: 120, Color: true, Blur: 2},
	{Lines: []string{"Dear customer, our shop will close early", "on Saturday 24 December at 2 pm.", "Thank you for your understanding."}, Size: 26, Texture: "gradient", Noise: 8},
	{Lines: []string{"Way out"}, Size: 14},
	{Lines: []string{"Tickets and information"}, Font: "bold", Size: 30, Ink: 200, Bg: 40},
	// Turned text: a sign seen at an angle, a label on its side, a page upside down.
	{Lines: []string{"Lift out of order"}, Size: 36, Angle: -5},
	{Lines: []string{"No smoking"}, Font: "bold", Size: 44, Angle: -15},
	{Lines: []string{"Fire door keep shut"}, Size: 40, Angle: 30},
	{Lines: []string{"Cloakroom"}, Font: "bold", Size: 48, Angle: -30, Texture: "gradient"},
	{Lines: []string{"EXIT ONLY"}, Font: "bold", Size: 56, Angle: 90},
	{Lines: []string{"Mind the step", "Thank you"}, Size: 44, Angle: 180},
}

// evalNoText is the scenes without text.
var evalNoText = []scene{
	{},
	{Texture: "gradient"},
	{Texture: "noise", Seed: 1},
	{Texture: "bricks"},
	{Texture: "stripes"},
	{Texture: "grille"},
	{Texture: "scribble", Seed: 4},
	{Texture: "scribble", Seed: 5, Blur: 1, Quality: 40},
	{Texture: "blobs", Seed: 2},
	{Texture: "blobs", Seed: 3, Noise: 12, Quality: 30},
	{Texture: "bricks", Color: true, Blur: 1},
	{Texture: "cells", Seed: 6},
	{Texture: "cells", Seed: 7, Blur: 1, Noise: 6, Quality: 50},
}

// evalRun is what the reader read of every scene of the set, once per test binary.
type evalRun struct {
	text, noText         [][]Word        // the words Tesseract read, before the filters
	textTook, noTextTook []time.Duration // how long each scene took to read
}

// took is the mean time per frame over times.
func took(times ...[]time.Duration) time.Duration {
	var sum time.Duration
	n := 0
	for _, ts := range times {
		for _, t := range ts {
			sum += t
			n++
		}
	}
	if n == 0 {
		return 0
	}
	return sum / time.Duration(n)
}

// evalConfigs are the readers the evaluation compares: as configured by default, and without
// looking for turned text (what the reader did before it did).
var evalConfigs = map[string]Config{
	"default": {},
	"upright": {NoOrientation: true, NoDeskew: true},
}

var (
	evalMu   sync.Mutex
	evalRuns = map[string]evalRun{}
)

// runEval reads the set with the reader evalConfigs[name], once per test binary.
func runEval(t testing.TB, name string) evalRun {
	t.Helper()
	evalMu.Lock()
	defer evalMu.Unlock()
	if run, ok := evalRuns[name]; ok {
		return run
	}
	r, err := New(evalConfigs[name])
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = r.Close() }()
	var run evalRun
	read := func(s scene, i int) ([]Word, time.Duration) {
		f := bus.Frame{ID: fmt.Sprint(i), Camera: "eval", JPEG: render(t, s)}
		start := time.Now()
		rd, err := r.Read(context.Background(), f, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		return rd.Words, time.Since(start)
	}
	for i, s := range evalText {
		w, d := read(s, i)
		run.text, run.textTook = append(run.text, w), append(run.textTook, d)
	}
	for i, s := range evalNoText {
		w, d := read(s, i)
		run.noText, run.noTextTook = append(run.noText, w), append(run.noTextTook, d)
	}
	evalRuns[name] = run
	return run
}

// categories names what makes a text scene hard: its font, small letters, an angle, blur,
// noise, JPEG compression, low contrast, a background. A scene can be in several; "plain" is
// one in none.
func categories(s scene) []string {
	var c []string
	if s.Font != "" && s.Font != "regular" {
		c = append(c, "font")
	}
	if s.Size != 0 && s.Size <= 24 {
		c = append(c, "size")
	}
	if s.Angle != 0 {
		c = append(c, "angle")
	}
	if s.Blur > 0 {
		c = append(c, "blur")
	}
	if s.Noise > 0 || s.Texture == "noise" {
		c = append(c, "noise")
	}
	if s.Quality > 0 && s.Quality < 50 {
		c = append(c, "jpeg")
	}
	if s.Ink != 0 || s.Bg != 0 || s.Texture == "gradient" {
		c = append(c, "contrast")
	}
	if s.Color || s.Texture == "bricks" {
		c = append(c, "colour")
	}
	if len(c) == 0 {
		c = append(c, "plain")
	}
	return c
}

// categoryCER is the character error rate of the text scenes in each category.
func (run evalRun) categoryCER(minConf float64) map[string]float64 {
	edits, chars := map[string]int{}, map[string]int{}
	for i, words := range run.text {
		truth := strings.Join(evalText[i].Lines, " ")
		d := editDistance(truth, linesText(keepLines(words, minConf)))
		for _, c := range categories(evalText[i]) {
			edits[c] += d
			chars[c] += len([]rune(truth))
		}
	}
	out := map[string]float64{}
	for c, n := range chars {
		out[c] = float64(edits[c]) / float64(n)
	}
	return out
}

// score is the evaluation's figures at one confidence threshold.
type score struct {
	cer         float64 // character error rate over the text scenes: edits / characters
	falseScenes int     // scenes without text where something was kept
	falseWords  int     // words kept from scenes without text
	missed      int     // text scenes where nothing was kept
	perfect     int     // text scenes read without an error
}

func (run evalRun) score(minConf float64) score {
	var sc score
	edits, chars := 0, 0
	for i, words := range run.text {
		truth := strings.Join(evalText[i].Lines, " ")
		got := linesText(keepLines(words, minConf))
		if got == "" {
			sc.missed++
		}
		d := editDistance(truth, got)
		if d == 0 {
			sc.perfect++
		}
		edits += d
		chars += len([]rune(truth))
	}
	sc.cer = float64(edits) / float64(chars)
	for _, words := range run.noText {
		if lines := keepLines(words, minConf); len(lines) > 0 {
			sc.falseScenes++
			for _, l := range lines {
				sc.falseWords += len(l.Words)
			}
		}
	}
	return sc
}

func linesText(lines []Line) string {
	var texts []string
	for _, l := range lines {
		texts = append(texts, l.Text)
	}
	return strings.Join(texts, " ")
}

// editDistance is the Levenshtein distance between a and b, in characters.
func editDistance(a, b string) int {
	ra, rb := []rune(a), []rune(b)
	prev := make([]int, len(rb)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(ra); i++ {
		cur := make([]int, len(rb)+1)
		cur[0] = i
		for j := 1; j <= len(rb); j++ {
			cost := 1
			if ra[i-1] == rb[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j-1]+cost, prev[j]+1, cur[j-1]+1)
		}
		prev = cur
	}
	return prev[len(rb)]
}

// TestEval holds the reader to the figures in docs/performance.md: a character error rate on
// the text scenes of at most evalMaxCER, nothing read from any scene without text, and every
// turned scene (15° or more, on its side, upside down) read with at most evalMaxTurnedCER.
func TestEval(t *testing.T) {
	run := runEval(t, "default")
	sc := run.score(DefaultMinConfidence)
	t.Logf("CER %.3f, %d perfect, missed %d of %d text scenes, false readings %d scenes (%d words) of %d", sc.cer, sc.perfect, sc.missed, len(evalText), sc.falseScenes, sc.falseWords, len(evalNoText))
	counts := map[string]int{}
	for _, s := range evalText {
		for _, c := range categories(s) {
			counts[c]++
		}
	}
	t.Logf("CER by category: %v (scenes: %v)", run.categoryCER(DefaultMinConfidence), counts)
	t.Logf("time per frame: %s with text, %s without", took(run.textTook), took(run.noTextTook))
	if sc.cer > evalMaxCER {
		t.Errorf("character error rate %.3f, want at most %.3f", sc.cer, evalMaxCER)
	}
	if sc.falseScenes > 0 {
		t.Errorf("%d scenes without text read as text (%d words)", sc.falseScenes, sc.falseWords)
	}
	for i, words := range run.text {
		s := evalText[i]
		if math.Abs(s.Angle) < 15 {
			continue
		}
		truth := strings.Join(s.Lines, " ")
		got := linesText(keepLines(words, DefaultMinConfidence))
		if cer := float64(editDistance(truth, got)) / float64(len([]rune(truth))); cer > evalMaxTurnedCER {
			t.Errorf("text turned by %v°: read %q, want %q", s.Angle, got, truth)
		}
	}
	if testing.Verbose() || os.Getenv("EVAL_SWEEP") != "" {
		for i, words := range run.text {
			var raw []string
			for _, w := range words {
				raw = append(raw, fmt.Sprintf("%s/%.0f", w.Text, w.Conf))
			}
			t.Logf("text %2d: %q → %q [%s] %s", i, strings.Join(evalText[i].Lines, " "), linesText(keepLines(words, DefaultMinConfidence)), strings.Join(raw, " "), run.textTook[i].Round(time.Millisecond))
		}
		for i, words := range run.noText {
			var raw []string
			for _, w := range words {
				raw = append(raw, fmt.Sprintf("%s/%.0f", w.Text, w.Conf))
			}
			t.Logf("no text %2d (%s): [%s] %s", i, evalNoText[i].Texture, strings.Join(raw, " "), run.noTextTook[i].Round(time.Millisecond))
		}
		for _, c := range []float64{0, 50, 70, 80, 85, 88, 90, 93, 95} {
			s := run.score(c)
			t.Logf("min confidence %2.0f: CER %.3f, missed %d, false scenes %d (%d words)", c, s.cer, s.missed, s.falseScenes, s.falseWords)
		}
	}
}

// evalMaxCER is the character error rate TestEval allows: what the set measures now
// (docs/performance.md), rounded up.
const evalMaxCER = 0.20

// evalMaxTurnedCER is the character error rate TestEval allows on each turned scene.
const evalMaxTurnedCER = 0.1

// BenchmarkEval reports the evaluation's figures, for the reader as configured and for one that
// does not look for turned text (upright): cer (and per category, cer-CATEGORY), false
// readings, missed scenes, and ms per frame with text and without.
func BenchmarkEval(b *testing.B) {
	for _, name := range []string{"default", "upright"} {
		b.Run(name, func(b *testing.B) {
			run := runEval(b, name)
			for b.Loop() {
				_ = run.score(DefaultMinConfidence)
			}
			sc := run.score(DefaultMinConfidence)
			b.ReportMetric(sc.cer, "cer")
			for c, cer := range run.categoryCER(DefaultMinConfidence) {
				b.ReportMetric(cer, "cer-"+c)
			}
			b.ReportMetric(float64(sc.falseScenes), "false-scenes")
			b.ReportMetric(float64(sc.missed), "missed-scenes")
			b.ReportMetric(float64(took(run.textTook).Microseconds())/1000, "ms/text-frame")
			b.ReportMetric(float64(took(run.noTextTook).Microseconds())/1000, "ms/notext-frame")
		})
	}
}
