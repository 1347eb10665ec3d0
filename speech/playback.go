package speech

import (
	"context"
	"errors"
	"sync"
	"time"
)

// StreamPlayer is a player with one output stream that stays open: clips are queued on it and
// play back to back, with no gap and no stream start or drain between them.
type StreamPlayer interface {
	Player
	// Queue puts p behind whatever is queued and returns at once.
	Queue(p PCM) (*Playback, error)
}

// Playback is one clip queued on a StreamPlayer. Its times are when its first and last
// samples are due at the output: the stream's clock when the samples were handed over plus
// the output latency the device reports, turned into wall time.
type Playback struct {
	samples []int16 // at the stream's rate
	pos     int     // samples handed to the device; the player's lock guards it
	isNear  bool    // near is closed; the player's lock guards it

	began  chan struct{} // closed when the first sample has been handed over (first is set)
	handed chan struct{} // closed when the last sample has been handed over (last is set)
	near   chan struct{} // closed when at most HandOverLead of it is left to hand over
	cut    chan struct{} // closed when it was silenced (cause is set)

	first, last time.Time
	cause       error
	deadline    time.Time // the last sample should have been handed over by then
	// stalled, when set, reports whether the device stopped asking for samples (its stream
	// callback has not run for a while), so a dead stream is noticed before the deadline.
	stalled func() bool
	cutOnce sync.Once

	cancel func(*Playback, error) // silences it; set by the player
}

func newPlayback(samples []int16, cancel func(*Playback, error)) *Playback {
	return &Playback{samples: samples, began: make(chan struct{}), handed: make(chan struct{}), near: make(chan struct{}), cut: make(chan struct{}), cancel: cancel}
}

// silenced marks the playback as cut for cause; the player calls it with its lock held.
func (pb *Playback) silenced(cause error) {
	pb.cutOnce.Do(func() {
		pb.cause = cause
		close(pb.cut)
	})
}

// Cancel silences the playback: it is taken off the queue, and when some of it has reached the
// output, the output is cut at once (and with it whatever else was still sounding).
func (pb *Playback) Cancel(cause error) { pb.cancel(pb, cause) }

// Started waits until the first sample is due at the output and returns when that is. It
// returns the cause when the playback is silenced first, and ctx's cause when ctx ends first.
func (pb *Playback) Started(ctx context.Context) (time.Time, error) {
	if err := pb.wait(ctx, pb.began); err != nil {
		return time.Time{}, err
	}
	return pb.first, pb.sleepUntil(ctx, pb.first)
}

// HandOverLead is how much of a clip may still be waiting to be handed to the output when the
// speech stage queues the next one behind it: the next clip is then in the queue well before
// the output needs it, even when the stage's goroutine is slow to run on a busy machine.
const HandOverLead = 250 * time.Millisecond

// Handed waits until every sample has been handed to the output (the last ones are then at
// most the output latency from being heard).
func (pb *Playback) Handed(ctx context.Context) error { return pb.wait(ctx, pb.handed) }

// Near waits until at most HandOverLead of the clip is left to hand to the output.
func (pb *Playback) Near(ctx context.Context) error { return pb.wait(ctx, pb.near) }

// Finished waits until the last sample is due at the output and returns when that is.
func (pb *Playback) Finished(ctx context.Context) (time.Time, error) {
	if err := pb.wait(ctx, pb.handed); err != nil {
		return time.Time{}, err
	}
	return pb.last, pb.sleepUntil(ctx, pb.last)
}

// stallCheck is how often a playback waiting to be handed over checks that the device still
// asks for samples.
const stallCheck = 250 * time.Millisecond

// errStalled is why a playback the device stopped taking is silenced.
var errStalled = errors.New("the output device stopped taking audio")

// wait waits for ch, the playback being cut, or ctx. A device that stops taking samples is
// reported once its stream callback has not run for a while, or once the clip is well overdue,
// never waited on forever.
func (pb *Playback) wait(ctx context.Context, ch <-chan struct{}) error {
	var stall, check <-chan time.Time
	select {
	case <-pb.handed: // handed over: only its due time is left to wait for
	default:
		if !pb.deadline.IsZero() {
			t := time.NewTimer(time.Until(pb.deadline))
			defer t.Stop()
			stall = t.C
		}
		if pb.stalled != nil {
			tk := time.NewTicker(stallCheck)
			defer tk.Stop()
			check = tk.C
		}
	}
	for {
		select {
		case <-check:
			select {
			case <-pb.handed:
				check = nil // handed over: the device's state no longer matters to it
			default:
				if pb.stalled() {
					return errStalled
				}
			}
			continue
		case <-stall:
			select {
			case <-pb.handed:
				stall = nil
				continue
			default:
				return errStalled
			}
		case <-ch:
			select {
			case <-pb.cut: // cut as it was handed over
				return pb.cause
			default:
				return nil
			}
		case <-pb.cut:
			return pb.cause
		case <-ctx.Done():
			return context.Cause(ctx)
		}
	}
}

// sleepUntil waits for the wall time at, the playback being cut, or ctx.
func (pb *Playback) sleepUntil(ctx context.Context, at time.Time) error {
	d := time.Until(at)
	if d <= 0 {
		return pb.wait(ctx, closed)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return pb.wait(ctx, closed)
	case <-pb.cut:
		return pb.cause
	case <-ctx.Done():
		return context.Cause(ctx)
	}
}

// closed is a closed channel.
var closed = func() chan struct{} { c := make(chan struct{}); close(c); return c }()

// playQueued plays p on a stream player and waits until it has been heard; ending ctx silences
// it, and playQueued then returns context.Cause(ctx).
func playQueued(ctx context.Context, sp StreamPlayer, p PCM) error {
	pb, err := sp.Queue(p)
	if err != nil {
		return err
	}
	if _, err := pb.Finished(ctx); err != nil {
		pb.Cancel(err)
		return err
	}
	return nil
}

// QueuedClip is a clip that can be queued on an output stream behind the one playing, so the
// stage can hand the next clip over before the current one has been heard to its end.
type QueuedClip interface {
	Clip
	// Queue queues the clip and returns at once.
	Queue() (*Playback, error)
}

// streamClip is a PCM clip for a StreamPlayer, played at the volume gain says when it is queued.
type streamClip struct {
	sp   StreamPlayer
	p    PCM
	gain func() float64 // nil: as recorded
}

func (c streamClip) pcm() PCM {
	if c.gain == nil {
		return c.p
	}
	return amplify(c.p, c.gain())
}

func (c streamClip) Play(ctx context.Context) error { return playQueued(ctx, c.sp, c.pcm()) }
func (c streamClip) Queue() (*Playback, error)      { return c.sp.Queue(c.pcm()) }
