// Package ratelog keeps a warning that repeats from flooding the log: the first occurrence is
// logged at once, later ones at most once per interval, each with how many were held back
// since the last line.
package ratelog

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// DefaultEvery is the interval the narrator uses for repeated warnings.
const DefaultEvery = 10 * time.Second

// Limiter rate-limits one kind of log line. It is safe for concurrent use.
type Limiter struct {
	log   *slog.Logger
	every time.Duration
	now   func() time.Time

	mu         sync.Mutex
	last       time.Time // when a line was last logged
	suppressed int       // occurrences held back since
}

// New returns a limiter logging to log (slog.Default() when nil) at most once per every
// (DefaultEvery when not positive).
func New(log *slog.Logger, every time.Duration) *Limiter {
	if log == nil {
		log = slog.Default()
	}
	if every <= 0 {
		every = DefaultEvery
	}
	return &Limiter{log: log, every: every, now: time.Now}
}

// Warn logs a warning, or counts it when one was logged less than the interval ago. A line
// logged after some were held back carries "repeated": how many, and "over": the time since
// the previous line.
func (l *Limiter) Warn(msg string, args ...any) { l.Log(slog.LevelWarn, msg, args...) }

// Log is Warn at any level.
func (l *Limiter) Log(level slog.Level, msg string, args ...any) {
	l.mu.Lock()
	now := l.now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.suppressed++
		l.mu.Unlock()
		return
	}
	held, since := l.suppressed, now.Sub(l.last)
	l.last, l.suppressed = now, 0
	l.mu.Unlock()
	if held > 0 {
		args = append(args, "repeated", held, "over", since.Round(time.Second))
	}
	l.log.Log(context.Background(), level, msg, args...)
}
