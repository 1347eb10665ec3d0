package inference

import (
	"testing"
	"time"
)

func TestTimeoutFollowsObservedLatency(t *testing.T) {
	var l Latencies
	limit := 30 * time.Second
	for i := range latencyWarmup - 1 {
		l.Add(time.Duration(i+1) * 100 * time.Millisecond)
	}
	if got := l.Timeout(limit); got != limit {
		t.Fatalf("before enough answers: %s, want the configured %s", got, limit)
	}
	for range latencySamples {
		l.Add(2 * time.Second)
	}
	if got := l.Timeout(limit); got != TimeoutFactor*2*time.Second {
		t.Fatalf("answers of 2 s: %s, want %s", got, TimeoutFactor*2*time.Second)
	}
	for range latencySamples {
		l.Add(10 * time.Millisecond)
	}
	if got := l.Timeout(limit); got != MinTimeout {
		t.Fatalf("fast answers: %s, want the floor %s", got, MinTimeout)
	}
	for range latencySamples {
		l.Add(20 * time.Second)
	}
	if got := l.Timeout(limit); got != limit {
		t.Fatalf("slow answers: %s, want the ceiling %s", got, limit)
	}
}
