package openai

import (
	"slices"
	"sync"
	"time"
)

// The request timeout that follows the server's observed latency.
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

// latencies remembers how long the last answers took.
type latencies struct {
	mu   sync.Mutex
	last []time.Duration
	next int
}

func (l *latencies) add(d time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.last) < latencySamples {
		l.last = append(l.last, d)
		return
	}
	l.last[l.next] = d
	l.next = (l.next + 1) % latencySamples
}

// timeout is the bound for the next request: max until enough answers are timed, then
// TimeoutFactor × their p95, within [MinTimeout, max].
func (l *latencies) timeout(limit time.Duration) time.Duration {
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
