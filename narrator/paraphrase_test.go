package narrator

import (
	"bufio"
	"os"
	"strings"
	"testing"
)

// paraphrasePair is one labelled pair of testdata/paraphrases.tsv.
type paraphrasePair struct {
	same bool
	a, b string
}

func readParaphrases(t testing.TB) []paraphrasePair {
	t.Helper()
	f, err := os.Open("testdata/paraphrases.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var pairs []paraphrasePair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 3 || (cols[0] != "same" && cols[0] != "diff") {
			t.Fatalf("testdata/paraphrases.tsv:%d: want same|diff<TAB>a<TAB>b, got %q", n, line)
		}
		pairs = append(pairs, paraphrasePair{same: cols[0] == "same", a: cols[1], b: cols[2]})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return pairs
}

// isRepeat is the repeat gate's verdict on b said right after a, at the default threshold.
func isRepeat(p *Policy, a, b string) (bool, float64) {
	wa, wb := gistOf(a), gistOf(b)
	s := similarity(wa.words, wb.words)
	return s >= p.cfg.Similarity && sameNews(wa, wb, p.salient), s
}

// TestParaphraseSet measures the repeat gate on the labelled pairs: precision (of the pairs it
// calls repeats, how many are) and recall (of the repeats, how many it catches). The figures
// are in docs/narration.md; the floors here keep them from sliding back.
func TestParaphraseSet(t *testing.T) {
	p, err := NewPolicy(PolicyConfig{})
	if err != nil {
		t.Fatal(err)
	}
	var tp, fp, fn, tn int
	for _, pr := range readParaphrases(t) {
		got, s := isRepeat(p, pr.a, pr.b)
		switch {
		case got && pr.same:
			tp++
		case got && !pr.same:
			fp++
			t.Logf("merged a change (%.2f): %q / %q", s, pr.a, pr.b)
		case !got && pr.same:
			fn++
			t.Logf("missed a paraphrase (%.2f): %q / %q", s, pr.a, pr.b)
		default:
			tn++
		}
	}
	precision := float64(tp) / float64(tp+fp)
	recall := float64(tp) / float64(tp+fn)
	t.Logf("%d pairs (%d same, %d different): precision %.2f, recall %.2f (tp %d, fp %d, fn %d, tn %d)",
		tp+fp+fn+tn, tp+fn, fp+tn, precision, recall, tp, fp, fn, tn)
	if precision < 0.9 || recall < 0.9 {
		t.Errorf("precision %.2f (want ≥ 0.9), recall %.2f (want ≥ 0.9)", precision, recall)
	}
	if got, s := isRepeat(p, "A small dog running across a lawn.", "A brown dog is running on the grass."); !got {
		t.Errorf("the dog pair is not a repeat (similarity %.2f)", s)
	}
}
