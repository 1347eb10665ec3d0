package ratelog

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
	"time"
)

func TestLimiter(t *testing.T) {
	var buf bytes.Buffer
	l := New(slog.New(slog.NewTextHandler(&buf, nil)), 10*time.Second)
	now := time.Unix(1000, 0)
	l.now = func() time.Time { return now }
	for i := range 852 { // one bad line every 35 ms for 30 s
		now = time.Unix(1000, 0).Add(time.Duration(i) * 35 * time.Millisecond)
		l.Warn("garbage from the worker", "line", i)
	}
	lines := strings.Split(strings.TrimSpace(buf.String()), "\n")
	if len(lines) != 3 {
		t.Fatalf("%d lines logged for 852 warnings over 30 s, want 3 (one per 10 s):\n%s", len(lines), buf.String())
	}
	if strings.Contains(lines[0], "repeated") || !strings.Contains(lines[0], "line=0") {
		t.Errorf("first line %q: want the first warning as it was", lines[0])
	}
	if !strings.Contains(lines[1], "repeated=285") || !strings.Contains(lines[1], "over=10s") {
		t.Errorf("second line %q: want the 285 held back over 10 s", lines[1])
	}
	total := 0
	for _, ln := range lines {
		total++
		if _, after, ok := strings.Cut(ln, "repeated="); ok {
			var n int
			for _, c := range after {
				if c < '0' || c > '9' {
					break
				}
				n = n*10 + int(c-'0')
			}
			total += n
		}
	}
	if total+l.suppressed != 852 {
		t.Errorf("lines and counts add up to %d, %d held back, want every one of the 852 warnings", total, l.suppressed)
	}
}

func TestLimiterDefaults(t *testing.T) {
	l := New(nil, 0)
	if l.every != DefaultEvery || l.log == nil {
		t.Errorf("New(nil, 0) = every %s, log %v", l.every, l.log)
	}
}
