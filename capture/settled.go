package capture

import (
	"context"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Settled frames for the text reader (bus.FrameSettled; docs/reading.md). The gate sends a frame
// when the scene changes enough to be worth describing: a small sign appearing in a still
// scene, or the last sharp frame after the camera came to rest on a sign, is not such a change,
// and would be read only at the next heartbeat. While a text reader asks for them
// (bus.SubjectSettledWanted), capture also sends, on the camera's settled subject which the
// scene describer does not read, the frame of a scene that has been still for DefaultSteady and
// differs from the last frame sent by any change of one cell beyond its jitter. The scene
// describer gets no more frames than before.

const (
	// DefaultSteady is how long the frames must not move for the scene to count as settled.
	DefaultSteady = 500 * time.Millisecond
	// settledCellDelta is how far one cell must have moved from the last frame sent, in luma
	// and chroma levels summed beyond the whole frame's shift (plus three times the cell's
	// jitter), for a settled scene to be sent: a word 40 pixels tall appearing on a wall moves
	// its cell by about 30, sensor noise by 1-2.
	settledCellDelta = 8
	// stillCellDelta is how far a cell may move from one frame to the next (plus three times
	// its jitter) with the scene still counted as still.
	stillCellDelta = 4
)

// settler decides which frames the gate did not send are settled frames. Call it with the
// sampler's mu held.
type settler struct {
	wantedUntil time.Time // settled frames are sent until then (a reader's lease)
	steady      time.Duration
	base        Signature // the last frame sent or to be sent
	haveBase    bool
	prev        Signature // the last frame seen
	stillSince  time.Time // when the frames last moved
}

// want extends the lease: settled frames are sent until until.
func (w *settler) want(until time.Time) {
	if until.After(w.wantedUntil) {
		w.wantedUntil = until
	}
}

// accepted notes a frame the gate accepted: it is sent, and the scene moved.
func (w *settler) accepted(sig Signature, at time.Time) {
	w.base, w.haveBase = sig, true
	w.prev, w.stillSince = sig, at
}

// settled reports whether a frame the gate did not accept is to be sent as a settled frame:
// settled frames are wanted, the scene has not moved for steady, and it differs from the last
// frame sent. jitter is the gate's per-cell jitter (Gate.jitter).
// free is false while a frame the gate accepted waits to be sent: it is sent instead.
func (w *settler) settled(sig Signature, at time.Time, jitter *[cellCount]int, free bool) bool {
	if moved(sig, w.prev, jitter, stillCellDelta) {
		w.stillSince = at
	}
	w.prev = sig
	steady := w.steady
	if steady <= 0 {
		steady = DefaultSteady
	}
	if !free || !at.Before(w.wantedUntil) || !w.haveBase || at.Sub(w.stillSince) < steady ||
		!moved(sig, w.base, jitter, settledCellDelta) {
		return false
	}
	w.base = sig
	return true
}

// moved reports whether any cell of a moved from b by at least delta plus three times its
// jitter, or the whole frame's brightness by at least delta.
func moved(a, b Signature, jitter *[cellCount]int, delta int) bool {
	if a.LumaDelta(b) >= delta || a.ChromaDelta(b) >= delta {
		return true
	}
	for i := range cellCount {
		if a.cellDelta(b, i) >= delta+3*jitter[i]/16 {
			return true
		}
	}
	return false
}

// subscribeWants subscribes to the readers' requests for settled frames.
func subscribeWants(conn *bus.Conn, c *bus.Counters) (*bus.Queue[bus.SettledWanted], error) {
	return bus.SubscribeEvents[bus.SettledWanted](conn, bus.SubjectSettledWanted, bus.QueueConfig{
		Name: "capture.settled_wanted", Size: 4, Policy: bus.DropOldest, Counters: c,
	})
}

// followWants extends the settled frames' lease on each request a reader sends, until ctx
// ends.
func (s *Stage) followWants(ctx context.Context) {
	for {
		if _, err := s.wants.Next(ctx); err != nil {
			return
		}
		s.sampler.mu.Lock()
		s.sampler.settled.want(time.Now().Add(bus.SettledLease))
		s.sampler.mu.Unlock()
	}
}

// countSent counts a frame published: a settled frame apart from the describer's.
func (s *Stage) countSent(reason string) {
	if reason == bus.FrameSettled {
		s.settledSent.Add(1)
		return
	}
	s.sent.Add(1)
}
