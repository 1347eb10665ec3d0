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
	g  map[string]*Counter // gauges
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

// Gauge returns the gauge called name, creating it at zero. A gauge holds a current value (set
// it with Store), such as capture's sampling interval; it goes down as well as up, so it is
// published apart from the counters (Stats.Gauges) and not in Snapshot.
func (c *Counters) Gauge(name string) *Counter {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.g == nil {
		c.g = map[string]*Counter{}
	}
	if k, ok := c.g[name]; ok {
		return k
	}
	k := &Counter{}
	c.g[name] = k
	return k
}

// Gauges returns every gauge's current value.
func (c *Counters) Gauges() map[string]uint64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := make(map[string]uint64, len(c.g))
	for name, k := range c.g {
		out[name] = k.Load()
	}
	return out
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

// ReportStats publishes the counters and gauges on SubjectStats once per interval (default 1s)
// whenever any moved, and logs the losses (see IsLoss) of that interval, until ctx ends.
func ReportStats(ctx context.Context, c *Conn, process string, counters *Counters, interval time.Duration, log *slog.Logger) {
	if interval <= 0 {
		interval = time.Second
	}
	tick := time.NewTicker(interval)
	defer tick.Stop()
	last, lastGauges := map[string]uint64{}, map[string]uint64{}
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		now, gauges := counters.Snapshot(), counters.Gauges()
		if maps.Equal(now, last) && maps.Equal(gauges, lastGauges) {
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
		last, lastGauges = now, gauges
		st := Stats{Process: process, At: time.Now().UTC(), Counters: now}
		if len(gauges) > 0 {
			st.Gauges = gauges
		}
		if err := c.PublishEvent(SubjectStats, st); err != nil {
			log.Warn("publish stats", "err", err)
		}
	}
}
