package inference_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
)

// pullHost starts an inference stage with Pull and d on srv and returns its counters.
func pullHost(t *testing.T, srv *bus.Server, d inference.Describer, maxAge time.Duration) (*bus.Counters, *bus.Conn, context.CancelFunc) {
	t.Helper()
	counters := bus.NewCounters()
	conn := bustest.Conn(t, srv, "host-"+d.Info().Model)
	st, err := inference.New(conn, inference.Config{Describer: d, Counters: counters, Pull: true, AckWait: 400 * time.Millisecond, MaxAge: maxAge})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("stage: %v", err)
		}
	})
	return counters, conn, cancel
}

func testFrame(id, cam string) bus.Frame {
	return bus.Frame{ID: id, Camera: cam, CapturedAt: time.Now().UTC(), Width: 1, Height: 1, Reason: bus.FrameChanged,
		Distance: 30, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xD9}}
}

// TestPullKeepsSlowAndFastHostsBusy: a fast and a slow host share the work queue; each takes a
// frame when it is free, so the fast one describes more, the slow one is never idle while
// frames wait, and no frame is described twice.
func TestPullKeepsSlowAndFastHostsBusy(t *testing.T) {
	checkLeaks(t)
	srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
	pub := bustest.Conn(t, srv, "cameras")
	finals := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 1024)
	fast, _, _ := pullHost(t, srv, slowDescriber{name: "fast", delay: 10 * time.Millisecond}, 0)
	slow, _, _ := pullHost(t, srv, slowDescriber{name: "slow", delay: 80 * time.Millisecond}, 0)
	// eight cameras, each changing every 20 ms: more work than both hosts can do
	ctx, stop := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for i := 0; ctx.Err() == nil; i++ {
			for c := range 8 {
				_ = pub.PublishFrame(testFrame(fmt.Sprintf("f%d-%d", i, c), fmt.Sprintf("cam%d", c)))
			}
			select {
			case <-ctx.Done():
			case <-time.After(20 * time.Millisecond):
			}
		}
	})
	bustest.Eventually(t, 20*time.Second, "both hosts describe", func() bool {
		return fast.Snapshot()[bus.CounterInferenceDescribed] >= 40 && slow.Snapshot()[bus.CounterInferenceDescribed] >= 5
	})
	stop()
	wg.Wait()
	seen := map[string]string{}
	for {
		select {
		case d := <-next(finals):
			if d.Partial {
				continue
			}
			if by, dup := seen[d.FrameID]; dup {
				t.Fatalf("frame %s described by %s and %s", d.FrameID, by, d.Model)
			}
			seen[d.FrameID] = d.Model
			continue
		case <-time.After(500 * time.Millisecond):
		}
		break
	}
	f, s := fast.Snapshot()[bus.CounterInferenceDescribed], slow.Snapshot()[bus.CounterInferenceDescribed]
	if f <= s {
		t.Errorf("fast host described %d, slow %d: the free host should take more", f, s)
	}
	t.Logf("fast described %d, slow %d", f, s)
}

// next reads q's next message on a channel (for a select with a timeout).
func next[T any](q *bus.Queue[T]) <-chan T {
	ch := make(chan T, 1)
	ctx, cancel := context.WithTimeout(context.Background(), 400*time.Millisecond)
	go func() {
		defer cancel()
		if v, err := q.Next(ctx); err == nil {
			ch <- v
		}
	}()
	return ch
}

// TestPullRedeliversTheFrameOfASilentHost: a host takes a frame and goes silent (its bus
// connection is gone mid-request); the server hands the frame to the other host, which
// describes it, or, if it is now older than MaxAge, counts it stale. It is never lost silently.
func TestPullRedeliversTheFrameOfASilentHost(t *testing.T) {
	for _, c := range []struct {
		name   string
		maxAge time.Duration
	}{{"redescribed", inference.Off}, {"reported stale", 100 * time.Millisecond}} {
		t.Run(c.name, func(t *testing.T) {
			checkLeaks(t)
			srv := bustest.ServerWith(t, bus.ServerConfig{StoreDir: t.TempDir()})
			pub := bustest.Conn(t, srv, "cameras")
			finals := bustest.Collect[bus.Description](t, pub, bus.AllDescriptions, 16)
			hung := &blockingDescriber{calls: make(chan *call, 1)}
			_, hungConn, _ := pullHost(t, srv, hung, c.maxAge)
			f := testFrame("only", "cam")
			if err := pub.PublishFrame(f); err != nil {
				t.Fatal(err)
			}
			var taken *call
			select {
			case taken = <-hung.calls:
			case <-time.After(10 * time.Second):
				t.Fatal("the first host never took the frame")
			}
			hungConn.Close() // the host is gone: no ack, no more "still working"
			other, _, _ := pullHost(t, srv, slowDescriber{name: "other"}, c.maxAge)
			if c.maxAge == inference.Off {
				d := bustest.Next(t, finals, 10*time.Second)
				for d.Partial {
					d = bustest.Next(t, finals, 10*time.Second)
				}
				if d.FrameID != f.ID || d.Model != "other" || d.Error != "" {
					t.Fatalf("got %s by %s (%s), want frame %s described by the other host", d.FrameID, d.Model, d.Error, f.ID)
				}
			} else {
				bustest.Eventually(t, 10*time.Second, "the frame counted stale", func() bool {
					return other.Snapshot()[bus.CounterInferenceFramesStale] == 1
				})
			}
			if got := other.Snapshot()[bus.CounterInferenceFramesRedelivered]; got != 1 {
				t.Errorf("redelivered %d, want 1", got)
			}
			close(taken.finish)
		})
	}
}

// TestPullNeedsJetStream: without JetStream on the server, Pull fails at New with what to do.
func TestPullNeedsJetStream(t *testing.T) {
	srv := bustest.Server(t)
	_, err := inference.New(bustest.Conn(t, srv, "i"), inference.Config{Describer: slowDescriber{name: "m"}, Pull: true})
	if !errors.Is(err, bus.ErrNoJetStream) {
		t.Fatalf("got %v, want ErrNoJetStream", err)
	}
}
