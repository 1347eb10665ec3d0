package procgroup

import (
	"fmt"
	"strings"
	"sync"
	"testing"
)

func TestTailSplitsLines(t *testing.T) {
	var got []string
	tail := &Tail{Lines: 10, OnLine: func(s string) { got = append(got, s) }}
	for _, chunk := range []string{"one\ntw", "o\r\n\nthree 50%\rthree 100%\n", "tail"} {
		if n, err := tail.Write([]byte(chunk)); n != len(chunk) || err != nil {
			t.Fatalf("Write(%q) = %d, %v", chunk, n, err)
		}
	}
	want := []string{"one", "two", "three 50%", "three 100%"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("lines %q, want %q", got, want)
	}
	if s := tail.String(); s != "one\ntwo\nthree 50%\nthree 100%\ntail" {
		t.Errorf("String() = %q: the complete lines and the unfinished one", s)
	}
}

func TestTailKeepsTheLastLines(t *testing.T) {
	cases := []struct {
		lines int
		in    string
		want  string
	}{
		{0, "", ""},
		{0, "a\nb\n", "b"},
		{3, "a\nb\nc\nd\ne\n", "c | d | e"},
		{3, "a\nb\nc\nd\ne", "c | d | e"},
		{3, "  x  \n\n\n", "x"},
	}
	for _, c := range cases {
		tail := &Tail{Lines: c.lines}
		if _, err := fmt.Fprint(tail, c.in); err != nil {
			t.Fatal(err)
		}
		if got := tail.OneLine(); got != c.want {
			t.Errorf("Tail{Lines: %d} after %q: %q, want %q", c.lines, c.in, got, c.want)
		}
	}
}

func TestTailCutsALineThatNeverEnds(t *testing.T) {
	tail := &Tail{Lines: 2}
	long := strings.Repeat("x", maxLine+1)
	if _, err := tail.Write([]byte(long)); err != nil {
		t.Fatal(err)
	}
	if _, err := tail.Write([]byte("y\n")); err != nil {
		t.Fatal(err)
	}
	lines := tail.LastLines()
	if len(lines) != 2 || len(lines[0]) != maxLine+1 || lines[1] != "y" {
		t.Errorf("got %d lines, first of %d bytes", len(lines), len(lines[0]))
	}
}

func TestTailIsSafeForConcurrentUse(t *testing.T) {
	tail := &Tail{Lines: 5}
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			for j := range 100 {
				fmt.Fprintf(tail, "writer %d line %d\n", i, j)
				_ = tail.OneLine()
			}
		})
	}
	wg.Wait()
	if n := len(tail.LastLines()); n != 5 {
		t.Errorf("kept %d lines, want 5", n)
	}
}

func FuzzTail(f *testing.F) {
	f.Add("one\ntw", "o\r\n\nthree\n", 3)
	f.Add("", "\r\r\n", 0)
	f.Fuzz(func(t *testing.T, a, b string, lines int) {
		if lines < 0 || lines > 100 {
			t.Skip()
		}
		tail := &Tail{Lines: lines}
		_, _ = tail.Write([]byte(a))
		_, _ = tail.Write([]byte(b))
		got := tail.LastLines()
		if len(got) > max(1, lines) {
			t.Errorf("kept %d lines, at most %d", len(got), max(1, lines))
		}
		for _, l := range got {
			if l == "" || strings.ContainsAny(l, "\r\n") {
				t.Errorf("kept line %q", l)
			}
		}
	})
}
