package inference

import (
	"slices"
	"sync"
	"time"
)

// The request timeout that follows a backend's observed latency (the openai client's and the
// mlx worker's), so that a hung model on a static scene costs seconds, not a fixed 30 s.
const (
	// TimeoutFactor times the 95th percentile of the last answers' durations bounds a request.
	TimeoutFactor = 4
	// MinTimeout is the least the observed bound goes down to.
	MinTimeout = 5 * time.Second
	// latencySamples is how many answers are remembered; latencyWarmup how many are needed
	// before the bound follows them.
	latencySamples = 32
	latencyWarmup  = 8
)

// Latencies remembers how long a backend's last answers took. The zero value is ready to use;
// it is safe for concurrent use.
type Latencies struct {
	mu   sync.Mutex
	last []time.Duration
	next int
}

// Add records one answer's duration.
func (l *Latencies) Add(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) < latencySamples {
		l.last = append(l.last, d)
		return
	}
	l.last[l.next] = d
	l.next = (l.next + 1) % latencySamples
}

// Timeout is the bound for the next request: limit until enough answers are timed, then
// TimeoutFactor × their p95, within [MinTimeout, limit].
func (l *Latencies) Timeout(limit time.Duration) time.Duration {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) < latencyWarmup {
		return limit
	}
	sorted := slices.Clone(l.last)
	slices.Sort(sorted)
	p95 := sorted[(len(sorted)*95+99)/100-1]
	return min(max(TimeoutFactor*p95, MinTimeout), limit)
}
