//go:build cgo

package reading

import (
	"context"
	"fmt"
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
	text, noText [][]Word // the words Tesseract read, before the filters
	took         time.Duration
}

var (
	evalOnce sync.Once
	evalData evalRun
	evalErr  error
)

func runEval(t testing.TB) evalRun {
	evalOnce.Do(func() {
		r, err := New(Config{})
		if err != nil {
			evalErr = err
			return
		}
		defer func() { _ = r.Close() }()
		read := func(s scene, i int) []Word {
			f := bus.Frame{ID: fmt.Sprint(i), Camera: "eval", JPEG: render(t, s)}
			start := time.Now()
			rd, err := r.Read(context.Background(), f, time.Now())
			evalData.took += time.Since(start)
			if err != nil && evalErr == nil {
				evalErr = err
			}
			return rd.Words
		}
		for i, s := range evalText {
			evalData.text = append(evalData.text, read(s, i))
		}
		for i, s := range evalNoText {
			evalData.noText = append(evalData.noText, read(s, i))
		}
	})
	if evalErr != nil {
		t.Fatal(evalErr)
	}
	return evalData
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
// the text scenes of at most evalMaxCER, and nothing read from any scene without text.
func TestEval(t *testing.T) {
	run := runEval(t)
	sc := run.score(DefaultMinConfidence)
	t.Logf("CER %.3f, %d perfect, missed %d of %d text scenes, false readings %d scenes (%d words) of %d", sc.cer, sc.perfect, sc.missed, len(evalText), sc.falseScenes, sc.falseWords, len(evalNoText))
	if sc.cer > evalMaxCER {
		t.Errorf("character error rate %.3f, want at most %.3f", sc.cer, evalMaxCER)
	}
	if sc.falseScenes > 0 {
		t.Errorf("%d scenes without text read as text (%d words)", sc.falseScenes, sc.falseWords)
	}
	if testing.Verbose() || os.Getenv("EVAL_SWEEP") != "" {
		for i, words := range run.text {
			var raw []string
			for _, w := range words {
				raw = append(raw, fmt.Sprintf("%s/%.0f", w.Text, w.Conf))
			}
			t.Logf("text %2d: %q → %q [%s]", i, strings.Join(evalText[i].Lines, " "), linesText(keepLines(words, DefaultMinConfidence)), strings.Join(raw, " "))
		}
		for i, words := range run.noText {
			var raw []string
			for _, w := range words {
				raw = append(raw, fmt.Sprintf("%s/%.0f", w.Text, w.Conf))
			}
			t.Logf("no text %2d (%s): [%s]", i, evalNoText[i].Texture, strings.Join(raw, " "))
		}
		for _, c := range []float64{0, 50, 70, 80, 85, 88, 90, 93, 95} {
			s := run.score(c)
			t.Logf("min confidence %2.0f: CER %.3f, missed %d, false scenes %d (%d words)", c, s.cer, s.missed, s.falseScenes, s.falseWords)
		}
	}
}

// evalMaxCER is the character error rate TestEval allows: what the set measures now
// (docs/performance.md), rounded up.
const evalMaxCER = 0.30

// BenchmarkEval reports the evaluation's figures: cer, false readings, and ms per frame.
func BenchmarkEval(b *testing.B) {
	run := runEval(b)
	for b.Loop() {
		_ = run.score(DefaultMinConfidence)
	}
	sc := run.score(DefaultMinConfidence)
	b.ReportMetric(sc.cer, "cer")
	b.ReportMetric(float64(sc.falseScenes), "false-scenes")
	b.ReportMetric(float64(sc.missed), "missed-scenes")
	b.ReportMetric(float64(run.took.Milliseconds())/float64(len(evalText)+len(evalNoText)), "ms/frame")
}
