package backoff

import (
	"testing"
	"time"
)

func TestNthIsCapped(t *testing.T) {
	lo, hi := 100*time.Millisecond, time.Second
	want := []time.Duration{100 * time.Millisecond, 200 * time.Millisecond, 400 * time.Millisecond, 800 * time.Millisecond, time.Second, time.Second}
	for i, w := range want {
		if got := Nth(lo, hi, i+1); got != w {
			t.Errorf("backoff after %d failures = %s, want %s", i+1, got, w)
		}
	}
	if got := Nth(lo, hi, 1000); got != hi {
		t.Errorf("backoff after 1000 failures = %s, want the cap", got)
	}
	if got := Nth(lo, hi, 0); got != lo {
		t.Errorf("backoff before any failure = %s, want the first wait", got)
	}
}

func TestNextDoublesUpToTheCap(t *testing.T) {
	d, hi := 250*time.Millisecond, 2*time.Second
	var got []time.Duration
	for range 5 {
		d = Next(d, hi)
		got = append(got, d)
	}
	want := []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 2 * time.Second, 2 * time.Second}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("waits %v, want %v", got, want)
		}
	}
	// Nth and Next agree: the n-th wait is Next applied n-1 times.
	d = 100 * time.Millisecond
	for n := 1; n < 10; n++ {
		if nth := Nth(100*time.Millisecond, time.Second, n); nth != d {
			t.Fatalf("Nth(%d) = %s, Next chain %s", n, nth, d)
		}
		d = Next(d, time.Second)
	}
}

func FuzzNthStaysWithinBounds(f *testing.F) {
	f.Add(int64(100*time.Millisecond), int64(time.Second), 3)
	f.Add(int64(1), int64(time.Hour), 1000)
	f.Fuzz(func(t *testing.T, first, limit int64, n int) {
		if first <= 0 || limit < first || limit > int64(24*time.Hour) {
			t.Skip()
		}
		got := Nth(time.Duration(first), time.Duration(limit), n)
		if got < time.Duration(first) || got > time.Duration(limit) {
			t.Errorf("Nth(%d, %d, %d) = %d, outside [first, limit]", first, limit, n, got)
		}
	})
}
