package capture

import (
	"image"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// sample is a frame accepted by the gate, copied out of the source's buffer.
type sample struct {
	img      image.Image
	sig      Signature
	at       time.Time // when the source delivered it
	reason   string
	distance int
	limited  bool // limited-range YCbCr, to expand before encoding
	large    bool // a change far larger than motion (Gate.Large)
}

// Novelty-aware sampling defaults (see sampler.decided).
const (
	// DefaultMaxInterval is the ceiling the sampling interval backs off to while the model's
	// descriptions of a moving scene keep repeating what was said.
	DefaultMaxInterval = 2 * time.Second
	// DefaultSettle is how long a scene must show no change for the interval to go back to the
	// minimum: the scene settled.
	DefaultSettle = time.Second
	// firstBackoff is the interval after the first repeat when there is no minimum interval.
	firstBackoff = 250 * time.Millisecond
)

// sampler sits between the goroutine that reads a source and the one that encodes and
// publishes, so reading never waits for encoding. It gates each frame (Gate), keeps at most one
// frame waiting, always the newest, and hands it out no sooner than the current interval after
// the last frame sent (heartbeats aside) and never older than maxAge. Every frame offered ends in
// exactly one counter: unchanged, superseded (a newer frame replaced it while it waited), stale
// (older than maxAge when its turn came), or, through the caller, sent or failed.
//
// The interval is minInterval, stretched while the narrator keeps suppressing descriptions of
// the camera as repeats (decided): each repeat doubles it, up to maxInterval; a description
// said, a large change (Gate.Large) or a scene that settles (no change for settle) brings it
// back to minInterval at once.
//
// Methods take the time as an argument so tests can drive the sampler on a clip's clock.
type sampler struct {
	minInterval time.Duration // 0: no minimum
	maxInterval time.Duration // 0: no backoff
	settle      time.Duration
	maxAge      time.Duration // 0: no limit

	unchanged, superseded, stale *bus.Counter
	intervalMS                   *bus.Counter // gauge: the current interval

	mu       sync.Mutex
	limited  bool // the source's frames are limited range (see colour.go)
	gate     Gate
	waiting  *sample
	spare    []*sample // recycled samples, with image buffers to copy into
	lastSent time.Time
	interval time.Duration // the current interval
	changeAt time.Time     // when the gate last accepted a change
	newScene time.Time     // capture time of the last large change: repeats of older frames do not count
	finished bool          // no more frames will be offered
	ready    chan struct{} // signalled when a frame starts waiting or finish is called
	settled  settler       // settled frames for the text reader (settled.go)
}

func newSampler(gate Gate, minInterval, maxAge time.Duration, c *bus.Counters) *sampler {
	s := &sampler{
		minInterval: minInterval,
		settle:      DefaultSettle,
		maxAge:      maxAge,
		unchanged:   c.Counter(bus.CounterCaptureFramesUnchanged),
		superseded:  c.Counter(bus.CounterCaptureFramesSuperseded),
		stale:       c.Counter(bus.CounterCaptureFramesStale),
		intervalMS:  c.Gauge(bus.GaugeCaptureInterval),
		gate:        gate,
		interval:    minInterval,
		ready:       make(chan struct{}, 1),
	}
	s.intervalMS.Store(uint64(minInterval.Milliseconds()))
	return s
}

// decided learns from the narrator's decision on a description of a frame of this camera
// captured at capturedAt: a repeat (suppressed as a duplicate) doubles the interval, up to
// maxInterval, unless its frame is older than the last large change (a late verdict on the
// scene that is gone must not hold back the new one); a description said brings it back to
// minInterval. Other decisions (stale, paused…) say nothing about novelty.
func (s *sampler) decided(action, reason string, capturedAt time.Time) {
	if s.maxInterval <= 0 {
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch {
	case action == bus.ActionSpeak:
		s.setInterval(s.minInterval)
	case action == bus.ActionSuppress && reason == bus.ReasonDuplicate && !capturedAt.Before(s.newScene):
		s.setInterval(min(s.maxInterval, max(2*s.interval, s.minInterval, firstBackoff)))
	}
}

// setInterval sets the interval; a shorter one wakes the sender, whose frame may be due now.
// Call with mu held.
func (s *sampler) setInterval(d time.Duration) {
	if d == s.interval {
		return
	}
	shorter := d < s.interval
	s.interval = d
	s.intervalMS.Store(uint64(d.Milliseconds()))
	if shorter {
		s.signal()
	}
}

// offer gates img, delivered at `at`; a frame worth sending (or a newer frame of the scene
// already waiting) is copied and waits, replacing the one waiting. img must pass CheckImage and
// is not used after offer returns.
func (s *sampler) offer(img image.Image, at time.Time) { s.offerKeep(img, at, copyImage) }

// keepFunc makes img, a frame to be kept, the caller's: by copying it into spare (copyImage),
// or by taking it from its source (a Keeper's Keep, which ignores img). spare is an image the
// sampler kept before and no longer needs, or nil.
type keepFunc func(spare, img image.Image) image.Image

// offerKeep is offer with the frame kept by keep.
func (s *sampler) offerKeep(img image.Image, at time.Time, keep keepFunc) {
	sig := Sign(img)
	s.mu.Lock()
	large := s.gate.Large(sig)
	send, reason, distance := s.gate.Check(sig, at)
	switch {
	case send && reason == bus.FrameChanged:
		s.changeAt = at
		if large {
			s.newScene = at
			s.setInterval(s.minInterval) // a new scene: send it at once
		}
	case !send && at.Sub(s.changeAt) >= s.settle:
		s.setInterval(s.minInterval) // the scene settled
	}
	if send {
		s.settled.accepted(sig, at)
	} else if s.settled.settled(sig, at, &s.gate.jitter, s.waiting == nil) {
		send, reason = true, bus.FrameSettled // for the text reader only (settled.go)
	}
	if !send && s.waiting == nil {
		s.mu.Unlock()
		s.unchanged.Add(1)
		return
	}
	smp := s.takeSpare()
	s.mu.Unlock()

	smp.img = keep(smp.img, img) // a copy, the slow part, outside the lock; or a swap

	s.mu.Lock()
	w := s.waiting
	switch {
	case w != nil && !send: // the same scene as the waiting frame, newer: keep why it was accepted
		smp.sig, smp.reason, smp.distance, smp.large = w.sig, w.reason, w.distance, w.large
	case w == nil && !send: // the waiting frame was taken meanwhile; this one shows nothing new
		s.spare = append(s.spare, smp)
		s.mu.Unlock()
		s.unchanged.Add(1)
		return
	default:
		smp.sig, smp.reason, smp.distance, smp.large = sig, reason, distance, large && reason == bus.FrameChanged
	}
	smp.at, smp.limited = at, s.limited
	if w != nil {
		s.superseded.Add(1)
		s.spare = append(s.spare, w)
	}
	s.waiting = smp
	s.mu.Unlock()
	if w == nil {
		s.signal()
	}
	// A newer frame of the waiting scene does not wake the sender: it already knows a frame
	// waits and when it is due, and nothing it decides on changed.
}

// setLimited says whether the frames offered from now on are limited-range YCbCr.
func (s *sampler) setLimited(limited bool) {
	s.mu.Lock()
	s.limited = limited
	s.mu.Unlock()
}

func (s *sampler) takeSpare() *sample {
	if n := len(s.spare); n > 0 {
		smp := s.spare[n-1]
		s.spare = s.spare[:n-1]
		return smp
	}
	return &sample{}
}

func (s *sampler) signal() {
	select {
	case s.ready <- struct{}{}:
	default:
	}
}

// take returns the waiting frame if it may be sent at now. Otherwise it returns wait > 0 when a
// frame waits for the minimum interval, or nothing at all; done is true once finish was called
// and nothing waits. A frame found older than maxAge is dropped, and the gate reverts to the
// last frame sent so the scene it showed is sent when next seen.
func (s *sampler) take(now time.Time) (smp *sample, wait time.Duration, done bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for s.waiting != nil {
		if wait := s.lastSent.Add(s.interval).Sub(now); wait > 0 && !s.lastSent.IsZero() {
			return nil, wait, false
		}
		smp, s.waiting = s.waiting, nil
		if s.maxAge > 0 && now.Sub(smp.at) > s.maxAge {
			s.stale.Add(1)
			s.gate.Revert()
			s.spare = append(s.spare, smp)
			continue
		}
		return smp, 0, false
	}
	return nil, 0, s.finished
}

// sent records that smp was published at now (ok) or could not be (!ok), and recycles it.
func (s *sampler) sent(smp *sample, now time.Time, ok bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if smp.reason == bus.FrameSettled { // not the describer's: the gate and interval ignore it
		s.spare = append(s.spare, smp)
		return
	}
	if ok {
		s.gate.Sent(smp.sig, now)
		if smp.reason != bus.FrameHeartbeat {
			// A heartbeat does not hold back the next change: the minimum interval spaces
			// changes in a busy scene, and a change just after a heartbeat goes out at once.
			s.lastSent = now
		}
	} else {
		s.gate.Revert()
	}
	s.spare = append(s.spare, smp)
}

// finish says no more frames will be offered: take reports done once the waiting frame is out.
func (s *sampler) finish() {
	s.mu.Lock()
	s.finished = true
	s.mu.Unlock()
	s.signal()
}
