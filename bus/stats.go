package bus

import (
	"context"
	"log/slog"
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nats-io/nats.go"
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

// Stats defaults.
const (
	// DefaultStatsInterval is how often the counters are looked at.
	DefaultStatsInterval = time.Second
	// DefaultStatsQuiet is the least time between two Stats published for routine activity
	// (counters that are not losses, see IsLoss).
	DefaultStatsQuiet = 10 * time.Second
)

// StatsConfig configures ReportStats.
type StatsConfig struct {
	// Process names the process in every Stats. Required.
	Process string
	// Counters are the counters reported. Required.
	Counters *Counters
	// Interval is how often the counters are looked at. Default: DefaultStatsInterval.
	Interval time.Duration
	// Quiet is the least time between two Stats published for routine activity; a loss (a
	// counter IsLoss names grew) is published at the next look. Default: DefaultStatsQuiet.
	Quiet time.Duration
	// Logger receives the losses (IsLoss) of each interval. Default: slog.Default().
	Logger *slog.Logger
}

// statsPolicy decides when counters are published: at once when a loss counter (IsLoss)
// grew, at most every quiet when only routine counters did, never when nothing changed.
type statsPolicy struct {
	quiet     time.Duration
	last      map[string]uint64 // what was published last
	published time.Time         // when
}

// due reports whether now's counters should be published.
func (p *statsPolicy) due(now map[string]uint64, at time.Time) bool {
	if p.last == nil {
		return len(now) > 0
	}
	changed := false
	for name, v := range now {
		if old := p.last[name]; old != v {
			if IsLoss(name) {
				return true
			}
			changed = true
		}
	}
	return changed && at.Sub(p.published) >= p.quiet
}

// nonZero returns the counters that moved: a Stats leaves out those still at 0.
func nonZero(counters map[string]uint64) map[string]uint64 {
	out := make(map[string]uint64, len(counters))
	for name, v := range counters {
		if v != 0 {
			out[name] = v
		}
	}
	return out
}

// ReportStats publishes the counters on SubjectStats at once when a loss counter (IsLoss)
// grew, and at most every Quiet when only routine counters did; it logs the losses of each
// interval, and answers every request on SubjectStatsRequest with the current counters, until
// ctx ends. Counters still at 0 are left out.
func ReportStats(ctx context.Context, c *Conn, cfg StatsConfig) error {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultStatsInterval
	}
	tick := time.NewTicker(cfg.Interval)
	defer tick.Stop()
	return reportStats(ctx, c, cfg, tick.C, time.Now)
}

func reportStats(ctx context.Context, c *Conn, cfg StatsConfig, tick <-chan time.Time, clock func() time.Time) error {
	if cfg.Quiet <= 0 {
		cfg.Quiet = DefaultStatsQuiet
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	current := func() Stats {
		st := Stats{Process: cfg.Process, At: clock().UTC(), Counters: nonZero(cfg.Counters.Snapshot())}
		if g := cfg.Counters.Gauges(); len(g) > 0 {
			st.Gauges = g
		}
		return st
	}
	sub, err := c.nc.Subscribe(SubjectStatsRequest, func(m *nats.Msg) {
		if m.Reply == "" {
			return
		}
		if err := c.PublishEvent(m.Reply, current()); err != nil {
			cfg.Logger.Warn("answer stats request", "err", err)
		}
	})
	if err != nil {
		return err
	}
	defer func() { _ = sub.Unsubscribe() }() // fails only on a closed connection
	policy := statsPolicy{quiet: cfg.Quiet}
	logged := map[string]uint64{}
	for {
		select {
		case <-ctx.Done():
			return nil
		case <-tick:
		}
		s := current()
		logLosses(cfg.Logger, logged, s.Counters)
		logged = s.Counters
		// A gauge that moved is routine activity, like a counter that is not a loss.
		watched := maps.Clone(s.Counters)
		for name, v := range s.Gauges {
			watched["gauge "+name] = v
		}
		if !policy.due(watched, s.At) {
			continue
		}
		policy.last, policy.published = watched, s.At
		if err := c.PublishEvent(SubjectStats, s); err != nil {
			cfg.Logger.Warn("publish stats", "err", err)
		}
	}
}

// logLosses logs the loss counters (IsLoss) that grew from last to now.
func logLosses(log *slog.Logger, last, now map[string]uint64) {
	if maps.Equal(now, last) {
		return
	}
	names := slices.Collect(maps.Keys(now))
	sort.Strings(names)
	var changed []any
	for _, name := range names {
		if d := now[name] - last[name]; d > 0 && IsLoss(name) {
			changed = append(changed, name, d)
		}
	}
	if len(changed) > 0 {
		log.Info("dropped or failed in the last interval", changed...)
	}
}
