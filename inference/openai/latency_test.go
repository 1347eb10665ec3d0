package openai

import (
	"testing"
	"time"
)

func TestTimeoutFollowsObservedLatency(t *testing.T) {
	var l latencies
	limit := 30 * time.Second
	for i := range latencyWarmup - 1 {
		l.add(time.Duration(i+1) * 100 * time.Millisecond)
	}
	if got := l.timeout(limit); got != limit {
		t.Fatalf("before enough answers: %s, want the configured %s", got, limit)
	}
	for range latencySamples {
		l.add(2 * time.Second)
	}
	if got := l.timeout(limit); got != TimeoutFactor*2*time.Second {
		t.Fatalf("answers of 2 s: %s, want %s", got, TimeoutFactor*2*time.Second)
	}
	for range latencySamples {
		l.add(10 * time.Millisecond)
	}
	if got := l.timeout(limit); got != MinTimeout {
		t.Fatalf("fast answers: %s, want the floor %s", got, MinTimeout)
	}
	for range latencySamples {
		l.add(20 * time.Second)
	}
	if got := l.timeout(limit); got != limit {
		t.Fatalf("slow answers: %s, want the ceiling %s", got, limit)
	}
}
