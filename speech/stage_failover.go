package speech

import (
	"context"
	"errors"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// How the stage moves along a Failover speaker's outputs: an output that fails while running is
// left for the next (counted, logged, and said on the new output), the utterance it failed on
// is said again there, and the first output is probed until it plays again.

// Recovery probes of the first output wait from DefaultRecoverFirst, doubling up to
// DefaultRecoverLimit.
const (
	DefaultRecoverFirst = time.Second
	DefaultRecoverLimit = 30 * time.Second
)

// recover runs the Failover's recovery until ctx ends, when the speaker is one.
func (s *Stage) recover(ctx context.Context) {
	f, ok := s.cfg.Speaker.(*Failover)
	if !ok {
		return
	}
	f.Recover(ctx, s.cfg.RecoverFirst, s.cfg.RecoverLimit, func(sw Switch) {
		s.recovered.Add(1)
		s.cfg.Logger.Info("speech output works again", "output", sw.To, "instead_of", sw.From)
		s.announceSwitch(ctx, sw)
	})
}

// outputFailed is called when the output failed to prepare or play it (not when it was
// silenced). With a Failover speaker, the output it failed on is left for the next, once,
// and the item is queued again to be said on the output now in use; it reports whether it
// was. Earcons are not played again.
func (s *Stage) outputFailed(ctx context.Context, it *item, err error) bool {
	f, ok := s.cfg.Speaker.(*Failover)
	if !ok || ctx.Err() != nil || errors.Is(err, context.Canceled) || isInterruption(err) {
		return false
	}
	if sw, switched := f.Failed(it.gen, err); switched {
		s.failovers.Add(1)
		s.cfg.Logger.Warn("speech output failed; using the next one", "failed", sw.From, "now", sw.To, "err", err)
		s.announceSwitch(ctx, sw)
	}
	if it.earcon != "" || f.Generation() == it.gen {
		return false // nothing newer to say it on
	}
	s.requeue(ctx, it)
	return true
}

// announceSwitch says, on the output now in use, that speech moved to it. The announcement is
// queued here rather than published for the stage to receive, so that it is said before the
// utterance the failed output left unsaid, which is queued next; the speech events report it
// like any other.
func (s *Stage) announceSwitch(ctx context.Context, sw Switch) {
	id := announce.SpeechToOther
	switch {
	case sw.Back:
		id = announce.SpeechBack
	case sw.Text:
		id = announce.SpeechToText
	case sw.To == "say":
		id = announce.SpeechToSay
	}
	a := announce.Make(id)
	if !s.cfg.Announce.Allows(a) {
		return
	}
	s.add(ctx, &item{u: a.Utterance(time.Now().UTC()), announce: true})
}

// requeue queues a fresh copy of it at the head of its class, to be prepared and said on the
// output now in use.
func (s *Stage) requeue(ctx context.Context, old *item) {
	it := &item{u: old.u, urgent: old.urgent, announce: old.announce}
	s.mu.Lock()
	defer s.mu.Unlock()
	if ctx.Err() != nil {
		s.drop(it, bus.ReasonShutdown)
		return
	}
	at := len(s.pending)
	for i, p := range s.pending {
		if itemRank(p) >= itemRank(it) {
			at = i
			break
		}
	}
	s.pending = append(s.pending[:at], append([]*item{it}, s.pending[at:]...)...)
	s.prepare(ctx, it)
	select {
	case s.wake <- struct{}{}:
	default:
	}
}
