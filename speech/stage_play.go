package speech

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// How the stage plays an item: play, below, for every speaker; playQueued for clips queued
// on an output stream (the PortAudio speaker).
//
// Playback of clips queued on an output stream (the PortAudio speaker): the stage queues a
// clip, reports it started when its first sample is due at the output, and takes the next
// item as soon as at most HandOverLead of this one is left to hand to the output, so the next
// clip follows it with no gap; finishing (the last sample due) is waited for apart, as the
// clip's tail.

// play waits for the item's clip and plays it; pctx ends when it is silenced. For a clip queued
// on an output stream it returns once the clip is nearly handed over, with what is left to do
// once it has been heard.
func (s *Stage) play(ctx, pctx context.Context, it *item) (tail func()) {
	select {
	case <-it.ready:
	case <-pctx.Done():
	}
	if pctx.Err() != nil { // silenced before it could start
		s.mu.Lock()
		s.drop(it, reasonOf(ctx, pctx))
		s.mu.Unlock()
		return nil
	}
	qc, queued := it.clip.(QueuedClip)
	if it.earcon != "" {
		if time.Since(it.queued) > earconMaxWait {
			s.cfg.Logger.Debug("earcon skipped: waited too long", "earcon", it.earcon)
			return nil
		}
		if queued {
			return s.playQueuedEarcon(pctx, it, qc)
		}
		if err := it.clip.Play(pctx); err != nil && pctx.Err() == nil {
			s.cfg.Logger.Warn("earcon not played", "earcon", it.earcon, "err", err)
			s.outputFailed(ctx, it, err)
			return nil
		}
		s.earconsPlayed.Add(1)
		return nil
	}
	if it.err != nil {
		if s.outputFailed(ctx, it, it.err) {
			return nil // said again on the next output
		}
		s.failed.Add(1)
		s.cfg.Logger.Warn("utterance not synthesized", "utterance", it.u.ID, "err", it.err)
		s.publish(s.event(it.u, bus.SpeechDropped, bus.ReasonFailed+": "+it.err.Error()))
		return nil
	}
	if time.Now().After(it.u.NotAfter) {
		s.stale.Add(1)
		s.publish(s.event(it.u, bus.SpeechDropped, bus.ReasonStale))
		return nil
	}
	if queued {
		return s.playQueued(ctx, pctx, it, qc)
	}
	started := s.event(it.u, bus.SpeechStarted, "")
	started.SpokenAt = started.At
	started.GlassToEarMS = float64(started.SpokenAt.Sub(it.u.CapturedAt).Microseconds()) / 1000
	s.publish(started)
	err := it.clip.Play(pctx)
	end := started
	end.At = time.Now().UTC()
	switch {
	case pctx.Err() != nil:
		end.State, end.Reason = bus.SpeechInterrupted, reasonOf(ctx, pctx)
	case err != nil && s.outputFailed(ctx, it, err):
		return nil // said again, from its start, on the next output
	case err != nil:
		s.failed.Add(1)
		s.cfg.Logger.Warn("utterance not played", "utterance", it.u.ID, "err", err)
		end.State, end.Reason = bus.SpeechInterrupted, bus.ReasonFailed+": "+err.Error()
	default:
		s.spoken.Add(1)
		end.State = bus.SpeechFinished
	}
	s.publish(end)
	return nil
}

// reasonOf says why pctx ended: the interruption's reason, or shutdown.
func reasonOf(ctx, pctx context.Context) string {
	var i interruption
	if ctx.Err() == nil && errors.As(context.Cause(pctx), &i) {
		return i.reason
	}
	return bus.ReasonShutdown
}

// toTail moves the current item to the tails: (nearly) handed over, still to be heard.
func (s *Stage) toTail(it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.current != nil && s.current.it == it {
		s.tails = append(s.tails, s.current)
		s.current = nil
	}
}

// playQueuedEarcon queues an earcon and returns once it is nearly handed over.
func (s *Stage) playQueuedEarcon(pctx context.Context, it *item, qc QueuedClip) (tail func()) {
	pb, err := qc.Queue()
	if err == nil {
		err = pb.Near(pctx)
		if err != nil {
			pb.Cancel(err)
		}
	}
	if err != nil {
		if pctx.Err() == nil && !isInterruption(err) {
			s.cfg.Logger.Warn("earcon not played", "earcon", it.earcon, "err", err)
			s.outputFailed(pctx, it, err)
		}
		return nil
	}
	s.earconsPlayed.Add(1)
	return func() {
		if _, err := pb.Finished(pctx); err != nil {
			pb.Cancel(err)
		}
	}
}

// playQueued queues an utterance, publishes started when its first sample is due at the
// output, and returns once it is nearly handed over, with the wait for its end, which publishes
// finished (or interrupted) stamped with when its last sample is due (or it was cut).
func (s *Stage) playQueued(ctx, pctx context.Context, it *item, qc QueuedClip) (tail func()) {
	pb, err := qc.Queue()
	var at time.Time
	if err == nil {
		at, err = pb.Started(pctx)
		if err != nil {
			pb.Cancel(err)
		}
	}
	if err != nil { // nothing of it was heard
		state, reason := s.endOf(ctx, pctx, err)
		if state == bus.SpeechInterrupted && !isFailure(reason) {
			s.mu.Lock()
			s.drop(it, reason)
			s.mu.Unlock()
			return nil
		}
		if s.outputFailed(ctx, it, err) {
			return nil // said on the next output
		}
		s.failed.Add(1)
		s.cfg.Logger.Warn("utterance not played", "utterance", it.u.ID, "err", err)
		s.publish(s.event(it.u, bus.SpeechDropped, reason))
		return nil
	}
	started := s.event(it.u, bus.SpeechStarted, "")
	started.At = at.UTC()
	started.SpokenAt = started.At
	started.GlassToEarMS = float64(started.SpokenAt.Sub(it.u.CapturedAt).Microseconds()) / 1000
	s.publish(started)
	finish := func() {
		end := started
		last, err := pb.Finished(pctx)
		if err != nil {
			pb.Cancel(err)
			end.At = time.Now().UTC()
			end.State, end.Reason = s.endOf(ctx, pctx, err)
			if isFailure(end.Reason) && s.outputFailed(ctx, it, err) {
				return // said again, from its start, on the next output
			}
			if isFailure(end.Reason) {
				s.failed.Add(1)
				s.cfg.Logger.Warn("utterance not played", "utterance", it.u.ID, "err", err)
			}
		} else {
			s.spoken.Add(1)
			end.At, end.State = last.UTC(), bus.SpeechFinished
		}
		s.publish(end)
	}
	if err := pb.Near(pctx); err != nil {
		finish()
		return nil
	}
	return finish
}

// endOf says how a queued clip that did not play to its end ended: interrupted with the
// silencing's reason (its own, or that of another clip whose silencing cut the output), or
// failed with the error.
func (s *Stage) endOf(ctx, pctx context.Context, err error) (state, reason string) {
	if pctx.Err() != nil {
		return bus.SpeechInterrupted, reasonOf(ctx, pctx)
	}
	var i interruption
	if errors.As(err, &i) {
		return bus.SpeechInterrupted, i.reason
	}
	return bus.SpeechInterrupted, bus.ReasonFailed + ": " + err.Error()
}

func isInterruption(err error) bool {
	var i interruption
	return errors.As(err, &i)
}

func isFailure(reason string) bool { return strings.HasPrefix(reason, bus.ReasonFailed) }
