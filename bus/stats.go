package bus

import (
	"context"
	"log/slog"
	"maps"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Counter is a named, monotonically increasing count.
type Counter struct{ atomic.Uint64 }

// Counters is a process's set of named counters (drops, errors), safe for concurrent use.
type Counters struct {
	mu sync.Mutex
	m  map[string]*Counter
}

// NewCounters returns an empty set.
func NewCounters() *Counters { return &Counters{m: map[string]*Counter{}} }

// Counter returns the counter called name, creating it at zero.
func (c *Counters) Counter(name string) *Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if k, ok := c.m[name]; ok {
		return k
	}
	k := &Counter{}
	c.m[name] = k
	return k
}

// Snapshot returns every counter's current value.
func (c *Counters) Snapshot() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.m))
	for name, k := range c.m {
		out[name] = k.Load()
	}
	return out
}

// IsLoss reports whether a counter counts lost work (drops, undecodable or failed messages,
// stale utterances) rather than routine activity.
func IsLoss(name string) bool {
	for _, suffix := range []string{".dropped", ".invalid", ".failed", ".stale"} {
		if strings.HasSuffix(name, suffix) {
			return true
		}
	}
	return false
}

// ReportStats publishes the counters on SubjectStats once per interval (default 1s) whenever any
// counter moved, and logs the losses (see IsLoss) of that interval, until ctx ends.
func ReportStats(ctx context.Context, c *Conn, process string, counters *Counters, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	last := map[string]uint64{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now := counters.Snapshot()
		if maps.Equal(now, last) {
			continue
		}
		var changed []any
		names := make([]string, 0, len(now))
		for name := range now {
			names = append(names, name)
		}
		sort.Strings(names)
		for _, name := range names {
			if d := now[name] - last[name]; d > 0 && IsLoss(name) {
				changed = append(changed, name, d)
			}
		}
		if len(changed) > 0 {
			log.Info("dropped or failed in the last interval", changed...)
		}
		last = now
		if err := c.PublishEvent(SubjectStats, Stats{Process: process, At: time.Now().UTC(), Counters: now}); err != nil {
			log.Warn("publish stats", "err", err)
		}
	}
}
