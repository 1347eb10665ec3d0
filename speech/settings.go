package speech

import (
	"context"
	"fmt"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// readSettings answers rate and volume requests until ctx ends.
func (s *Stage) readSettings(ctx context.Context) {
	for {
		r, err := s.settings.Next(ctx)
		if err != nil {
			return
		}
		s.settingsRequest(ctx, r)
	}
}

// settingsRequest changes the speaker's rate or volume and answers with both as they are now.
// Utterances already waiting are prepared again, so they too are said at the new rate.
func (s *Stage) settingsRequest(ctx context.Context, r bus.Request[bus.SpeechSettings]) {
	var rep bus.SpeechSettingsReply
	t, ok := s.cfg.Speaker.(Tunable)
	var err error
	switch {
	case r.Err != nil:
		err = r.Err
	case !ok:
		err = fmt.Errorf("%s: %w", s.cfg.Speaker.Name(), ErrNotTunable)
	default:
		rep, err = applySettings(t, r.Body)
	}
	if err != nil {
		rep = bus.SpeechSettingsReply{Error: err.Error()}
		s.cfg.Logger.Info("speech settings not changed", "err", err)
	} else {
		s.cfg.Logger.Debug("speech settings", "rate", rep.Rate, "volume", rep.Volume)
		if r.Body.Rate != "" {
			s.reprepare(ctx)
		}
	}
	rep.ID, rep.RequestID, rep.At = bus.NewID(), r.Body.ID, time.Now().UTC()
	if err := s.conn.Reply(r, rep); err != nil {
		s.cfg.Logger.Warn("speech settings reply not sent", "err", err)
	}
}

// reprepare abandons the preparation of every waiting utterance and starts it again.
func (s *Stage) reprepare(ctx context.Context) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for i, it := range s.pending {
		if it.earcon != "" {
			continue
		}
		if it.cancel != nil {
			it.cancel()
		}
		n := &item{u: it.u, urgent: it.urgent, announce: it.announce}
		s.prepare(ctx, n)
		s.pending[i] = n
	}
}
