package bus

import (
	"context"
	"encoding/json"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nats-io/nats.go"
)

func TestStatsPolicy(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	const read, described, dropped = "capture.frames_read", "inference.described", "inference.frames.dropped"
	cases := []struct {
		name      string
		last, now map[string]uint64
		after     time.Duration
		want      bool
	}{
		{"first, with counters", nil, map[string]uint64{read: 1}, 0, true},
		{"first, no counters yet", nil, map[string]uint64{}, 0, false},
		{"nothing changed", map[string]uint64{described: 1}, map[string]uint64{described: 1}, time.Hour, false},
		{"routine, soon", map[string]uint64{read: 1, described: 1}, map[string]uint64{read: 9, described: 2}, 9 * time.Second, false},
		{"routine, quiet passed", map[string]uint64{read: 1}, map[string]uint64{read: 9}, 10 * time.Second, true},
		{"a loss, at once", map[string]uint64{read: 1}, map[string]uint64{read: 9, dropped: 1}, time.Second, true},
		{"a loss grew, at once", map[string]uint64{dropped: 1}, map[string]uint64{dropped: 2}, time.Millisecond, true},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := statsPolicy{quiet: DefaultStatsQuiet, last: c.last, published: t0}
			if got := p.due(c.now, t0.Add(c.after)); got != c.want {
				t.Fatalf("due = %v, want %v", got, c.want)
			}
		})
	}
}

// TestStatsRateOverASyntheticRun drives the reporter through 120 one-second looks at a process
// that reads 25 frames a second, describes one every 5 s and loses two: stats are published
// once at start, at each loss and every 10 s otherwise, not 120 times.
func TestStatsRateOverASyntheticRun(t *testing.T) {
	srv, err := StartServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	pub, err := srv.Connect("stats")
	if err != nil {
		t.Fatal(err)
	}
	defer pub.Close()
	var mu sync.Mutex
	var got []Stats
	sub, err := pub.nc.Subscribe(SubjectStats, func(m *nats.Msg) {
		var s Stats
		if err := json.Unmarshal(m.Data, &s); err != nil {
			t.Errorf("stats body: %v", err)
		}
		mu.Lock()
		got = append(got, s)
		mu.Unlock()
	})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = sub.Unsubscribe() }()

	const looks = 120
	counters := NewCounters()
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var calls atomic.Int64
	// The clock is read once per look, just before the counters: the synthetic process
	// advances one second per look.
	clock := func() time.Time {
		k := calls.Add(1)
		counters.Counter("capture.frames_read").Add(25)
		counters.Counter("capture.frames_unchanged").Add(24)
		if k%5 == 0 {
			counters.Counter("inference.described").Add(1)
		}
		if k == 30 || k == 70 {
			counters.Counter("inference.frames.dropped").Add(1)
		}
		return t0.Add(time.Duration(k) * time.Second)
	}
	tick := make(chan time.Time, looks)
	for range looks {
		tick <- time.Time{}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- reportStats(ctx, pub, StatsConfig{Process: "test", Counters: counters}, tick, clock) }()
	for deadline := time.Now().Add(10 * time.Second); calls.Load() < looks || len(tick) > 0; {
		if time.Now().After(deadline) {
			t.Fatalf("the reporter looked %d times, want %d", calls.Load(), looks)
		}
		time.Sleep(time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}
	want := []int{1, 11, 21, 30, 40, 50, 60, 70, 80, 90, 100, 110, 120} // seconds of the published looks
	deadline := time.Now().Add(5 * time.Second)
	for {
		mu.Lock()
		n := len(got)
		mu.Unlock()
		if n >= len(want) || time.Now().After(deadline) {
			break
		}
		time.Sleep(time.Millisecond)
	}
	mu.Lock()
	defer mu.Unlock()
	var at []int
	for _, s := range got {
		at = append(at, int(s.At.Sub(t0)/time.Second))
	}
	if len(at) != len(want) {
		t.Fatalf("published at %v s (%d of %d looks), want %v", at, len(at), looks, want)
	}
	for i := range want {
		if at[i] != want[i] {
			t.Fatalf("published at %v s, want %v", at, want)
		}
	}
	if n := got[len(got)-1].Counters["capture.frames_read"]; n != 25*looks {
		t.Fatalf("last stats say %d frames read, want %d", n, 25*looks)
	}
}

func TestStatsRequestIsAnsweredWithTheCurrentCounters(t *testing.T) {
	srv, err := StartServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	c, err := srv.Connect("stats")
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	counters := NewCounters()
	counters.Counter("speech.spoken").Add(3)
	counters.Counter("speech.stale") // still 0: left out
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() {
		done <- ReportStats(ctx, c, StatsConfig{Process: "p1", Counters: counters, Interval: time.Hour})
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var s Stats
	deadline := time.Now().Add(5 * time.Second)
	for {
		rctx, rcancel := context.WithTimeout(context.Background(), time.Second)
		err := c.RequestEvent(rctx, SubjectStatsRequest, nil, &s)
		rcancel()
		if err == nil || time.Now().After(deadline) {
			if err != nil {
				t.Fatal(err)
			}
			break
		}
		time.Sleep(5 * time.Millisecond) // the reporter has not subscribed yet
	}
	if _, zero := s.Counters["speech.stale"]; s.Process != "p1" || s.Counters["speech.spoken"] != 3 || zero {
		t.Fatalf("got %+v, want p1 with speech.spoken 3 and no counter at 0", s)
	}
}
