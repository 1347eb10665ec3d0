package inference

import (
	"context"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// pullLoop is loop for Pull: when the describer is free it asks the work queue for a frame,
// describes it and acknowledges it. Accepted describe requests still go first. The fetching is
// done by a goroutine that asks only when told to, so a request never waits behind a fetch and
// no frame is taken before this host is free for it.
func (s *Stage) pullLoop(ctx context.Context) {
	ctx, cancel := context.WithCancel(ctx)
	want := make(chan struct{}, 1)
	got := make(chan bus.WorkFrame)
	var wg sync.WaitGroup
	wg.Go(func() { s.fetch(ctx, want, got) })
	defer func() {
		cancel()
		wg.Wait()
	}()
	asked := false // the fetcher was told to take a frame
	for {
		select { // an accepted request goes first: someone is waiting for its answer
		case j := <-s.requests.jobs:
			s.describe(ctx, j.f, j.req)
			continue
		default:
		}
		if !asked {
			want <- struct{}{}
			asked = true
		}
		select {
		case j := <-s.requests.jobs:
			s.describe(ctx, j.f, j.req)
		case w := <-got:
			asked = false
			s.describeWork(ctx, w)
		case <-ctx.Done():
			return
		}
	}
}

// fetch takes one frame from the work queue each time it is told to on want, and hands it over
// on got, telling the server it is being worked on while the loop finishes a request. A frame
// it holds when ctx ends is given back at once for another host.
func (s *Stage) fetch(ctx context.Context, want <-chan struct{}, got chan<- bus.WorkFrame) {
	for {
		select {
		case <-want:
		case <-ctx.Done():
			return
		}
		w, err := s.work.Next(ctx)
		if err != nil {
			return
		}
		s.requests.remember(w.Frame)
		tick := time.NewTicker(s.keepAlive())
	handOver:
		for {
			select {
			case got <- w:
				break handOver
			case <-tick.C:
				_ = w.Working()
			case <-ctx.Done():
				tick.Stop()
				_ = w.Release()
				return
			}
		}
		tick.Stop()
	}
}

// keepAlive is how often a host tells the server it still works on a frame.
func (s *Stage) keepAlive() time.Duration {
	wait := s.cfg.AckWait
	if wait <= 0 {
		wait = bus.DefaultWorkAckWait
	}
	return max(wait/4, 10*time.Millisecond)
}

// describeWork describes a frame from the work queue unless it is stale, telling the server
// meanwhile that this host works on it, and acknowledges it when done; a frame whose generation
// the end of ctx cut short is given back for another host. A frame handed out again (its host
// went silent) is counted redelivered; if it is now older than MaxAge it is counted stale and
// logged, never silently lost.
func (s *Stage) describeWork(ctx context.Context, w bus.WorkFrame) {
	f := w.Frame
	s.cameraCount(f.Camera, bus.CameraSent)
	if w.Delivered > 1 {
		s.redelivered.Add(1)
		s.cfg.Logger.Info("frame handed out again: the host that took it went silent", "frame", f.ID, "camera", f.Camera, "delivery", w.Delivered)
	}
	if s.isStale(f) {
		if w.Delivered > 1 {
			s.cfg.Logger.Warn("frame not described: its host went silent and it is now older than --max-age", "frame", f.ID, "camera", f.Camera, "max_age", s.cfg.MaxAge)
		}
		_ = w.Done()
		return
	}
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		tick := time.NewTicker(s.keepAlive())
		defer tick.Stop()
		for {
			select {
			case <-tick.C:
				_ = w.Working()
			case <-stop:
				return
			}
		}
	})
	s.describe(ctx, f, bus.DescribeRequest{})
	close(stop)
	wg.Wait()
	if ctx.Err() != nil {
		_ = w.Release()
		return
	}
	if err := w.Done(); err != nil {
		s.cfg.Logger.Warn("work queue: frame not acknowledged; the server may hand it out again", "frame", f.ID, "err", err)
	}
}
