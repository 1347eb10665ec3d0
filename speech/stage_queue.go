package speech

// The speech stage's queue: what is waiting to be said, in which order, what a control command
// or a newcomer silences or drops, and starting each item's synthesis ahead of its turn.

import (
	"context"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// maxEarcons bounds the earcons waiting to play; older ones are discarded.
const maxEarcons = 4

// maxAnnouncements bounds the announcements waiting to be said; the oldest is dropped as
// superseded.
const maxAnnouncements = 8

// control applies a speech control command at once, whatever is queued.
func (s *Stage) control(ctx context.Context, c bus.SpeechControl) {
	s.cfg.Logger.Debug("speech control", "command", c.Command, "reason", c.Reason)
	switch c.Command {
	case bus.SpeechStop:
		s.mu.Lock()
		s.silence(bus.ReasonStopped, c.At)
		s.mu.Unlock()
	case bus.SpeechPause:
		s.mu.Lock()
		s.paused = true
		s.silence(bus.ReasonPaused, c.At)
		s.mu.Unlock()
		s.add(ctx, &item{earcon: EarconPaused, queued: time.Now()})
	case bus.SpeechResume:
		s.mu.Lock()
		s.paused = false
		s.mu.Unlock()
	default:
		s.cfg.Counters.Counter(bus.CounterSpeechControlsInvalid).Add(1)
		s.cfg.Logger.Warn("unknown speech control command ignored", "command", c.Command)
	}
}

// silence interrupts what plays and drops what waits, except announcements made after the
// command (its acknowledgement, which may arrive first on its own subject). s.mu is held.
func (s *Stage) silence(reason string, at time.Time) {
	spared := func(it *item) bool { return it.announce && !at.IsZero() && it.u.CreatedAt.After(at) }
	if s.current != nil && !spared(s.current.it) {
		s.current.silence(interruption{reason})
	}
	for _, t := range s.tails {
		if !spared(t.it) {
			t.silence(interruption{reason})
		}
	}
	keep := s.pending[:0]
	for _, it := range s.pending {
		if spared(it) {
			keep = append(keep, it)
		} else {
			s.drop(it, reason)
		}
	}
	s.pending = keep
}

// dropPending drops every waiting item. s.mu is held.
func (s *Stage) dropPending(reason string) {
	for _, it := range s.pending {
		s.drop(it, reason)
	}
	s.pending = nil
}

// drop abandons an item that never started and reports an utterance as dropped. s.mu is held
// or the item is no longer shared.
func (s *Stage) drop(it *item, reason string) {
	if it.cancel != nil {
		it.cancel()
	}
	if it.earcon != "" {
		return
	}
	switch reason {
	case bus.ReasonStale:
		s.stale.Add(1)
	case bus.ReasonSuperseded:
		s.superseded.Add(1)
	}
	s.publish(s.event(it.u, bus.SpeechDropped, reason))
}

// add queues an item by its kind, applies the bounds, interrupts for an urgent utterance and
// starts preparing the item.
func (s *Stage) add(ctx context.Context, it *item) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		s.drop(it, bus.ReasonShutdown)
		return
	}
	if s.paused && it.earcon != EarconPaused && !it.announce {
		s.drop(it, bus.ReasonPaused)
		return
	}
	if it.earcon == "" && time.Now().After(it.u.NotAfter) {
		s.drop(it, bus.ReasonStale)
		return
	}
	if it.earcon != "" && s.earcons == nil {
		return
	}
	// Find where it goes: after every item of its own class or a higher one.
	rank := itemRank(it)
	at, same, oldest := len(s.pending), 0, -1
	for i, p := range s.pending {
		r := itemRank(p)
		if r == rank {
			same++
			if oldest < 0 {
				oldest = i
			}
		}
		if r > rank && at == len(s.pending) {
			at = i
		}
	}
	s.pending = append(s.pending[:at], append([]*item{it}, s.pending[at:]...)...)
	limit := s.cfg.QueueSize
	switch {
	case it.earcon != "":
		limit = maxEarcons
	case it.announce && !it.urgent:
		limit = maxAnnouncements
	}
	if same+1 > limit {
		s.drop(s.pending[oldest], bus.ReasonSuperseded)
		s.pending = append(s.pending[:oldest], s.pending[oldest+1:]...)
	}
	for _, p := range append([]*playing{s.current}, s.tails...) {
		if p != nil && itemRank(p.it) > rank && rank <= rankAnnouncement {
			reason := bus.ReasonUrgent
			if !it.urgent {
				reason = bus.ReasonAnnouncement
			}
			p.silence(interruption{reason})
		}
	}
	s.prepare(ctx, it)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// Ranks order the queue: urgent utterances, announcements, earcons, ordinary utterances. An
// urgent utterance or an announcement interrupts anything of a lower rank that plays.
const (
	rankUrgent = iota
	rankAnnouncement
	rankEarcon
	rankNormal
)

func itemRank(it *item) int {
	switch {
	case it.urgent:
		return rankUrgent
	case it.announce:
		return rankAnnouncement
	case it.earcon != "":
		return rankEarcon
	default:
		return rankNormal
	}
}

// prepare starts synthesizing the item now, while whatever is ahead of it plays.
func (s *Stage) prepare(ctx context.Context, it *item) {
	it.ready = make(chan struct{})
	if it.earcon != "" {
		it.clip = s.earcons.EarconClip(it.earcon)
		close(it.ready)
		return
	}
	if f, ok := s.cfg.Speaker.(*Failover); ok {
		it.gen = f.Generation()
	}
	pctx, cancel := context.WithCancel(ctx)
	it.cancel = cancel
	s.preps.Go(func() {
		defer cancel()
		it.clip, it.err = s.cfg.Speaker.Prepare(pctx, it.u.Text)
		close(it.ready)
	})
}
