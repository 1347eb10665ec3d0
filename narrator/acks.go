package narrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
)

// Every control request is acknowledged aloud, in the words of the announce table: the
// acknowledgement is an announcement utterance, said even while paused, and a pause does not
// silence its own "Paused." (it is made after the pause command). Status is a question programs
// ask often and is not said.

// acknowledge says a.
func (s *Stage) acknowledge(a announce.Announcement) {
	if err := announce.Publish(s.conn, a); err != nil {
		s.cfg.Logger.Warn("acknowledgement not published", "err", err)
	}
}

// ackFor is the acknowledgement of a control carried out at once, given the verbosity before
// it; false when nothing is said (status, and a repeat, which is heard itself).
func (s *Stage) ackFor(c bus.Control, before Verbosity, err error) (announce.Announcement, bool) {
	if err != nil {
		if c.Command == bus.ControlRepeat {
			return announce.Make(announce.AckNothingToRepeat), true
		}
		return plainFailure(err), true
	}
	switch c.Command {
	case bus.ControlPause:
		return announce.Make(announce.AckPause), true
	case bus.ControlResume:
		return announce.Make(announce.AckResume), true
	case bus.ControlStop:
		return announce.Make(announce.AckStop), true
	case bus.ControlHelp:
		return announce.Make(announce.Help), true
	case bus.ControlVerbosity:
		after := s.policy.Verbosity()
		switch strings.ToLower(strings.TrimSpace(c.Verbosity)) {
		case "up", "+", "more":
			if after > before {
				return announce.Make(announce.AckMoreDetail), true
			}
			return announce.Make(announce.AckMostDetail), true
		case "down", "-", "less":
			if after < before {
				return announce.Make(announce.AckLessDetail), true
			}
			return announce.Make(announce.AckLeastDetail), true
		}
		return announce.Make(announce.AckDetail, after.String()), true
	case bus.ControlMode:
		return announce.Make(modeAcks[s.policy.Mode()]), true
	}
	return announce.Announcement{}, false
}

// modeAcks are the acknowledgements of the modes a run can switch to.
var modeAcks = map[Mode]announce.ID{
	ModeNarrate: announce.AckModeNarrate, ModeChanges: announce.AckModeChanges, ModeOnDemand: announce.AckModeOnDemand,
}

// plainFailure says why a control could not be carried out, without ids or jargon; the log
// and the control reply keep the detail.
func plainFailure(err error) announce.Announcement {
	msg := err.Error()
	switch {
	case errors.Is(err, errNoInference):
		return announce.Make(announce.AckNoDescriber)
	case errors.Is(err, errNoReader):
		return announce.Make(announce.AckNoReader)
	case strings.Contains(msg, "no frame"):
		return announce.Make(announce.AckNoPicture)
	case strings.Contains(msg, "busy"):
		return announce.Make(announce.AckBusy)
	case errors.Is(err, errNoSpeechSettings):
		return announce.Make(announce.AckNoSpeechSettings)
	}
	return announce.Make(announce.AckFailed)
}

var (
	errNoInference      = errors.New("no inference stage is running on this bus")
	errNoReader         = errors.New("no text reader is running on this bus: start the narrator with --read-text or --backend ocr")
	errNoSpeechSettings = errors.New("no speech stage here can change its rate or volume")
)

// settingsResult is the speech stage's answer to a rate or volume control.
type settingsResult struct {
	control bus.Request[bus.Control]
	reply   bus.SpeechSettingsReply
	err     error
}

// requestSettings asks the speech stage, from a goroutine of its own, to change the rate or the
// volume; the answer comes back to Run on results.
func (s *Stage) requestSettings(ctx context.Context, wg *sync.WaitGroup, r bus.Request[bus.Control], results chan<- settingsResult, now time.Time) {
	req := bus.SpeechSettings{ID: bus.NewID(), At: now}
	if r.Body.Command == bus.ControlRate {
		req.Rate = r.Body.Value
	} else {
		req.Volume = r.Body.Value
	}
	wg.Go(func() {
		rctx, cancel := context.WithTimeout(ctx, s.cfg.RequestTimeout)
		defer cancel()
		res := settingsResult{control: r}
		res.err = s.conn.RequestEvent(rctx, bus.SubjectSpeechSettings, req, &res.reply)
		select {
		case results <- res:
		case <-ctx.Done():
		}
	})
}

// settingsDone acknowledges a rate or volume control with the new value, aloud and in the reply.
func (s *Stage) settingsDone(r settingsResult) {
	err := r.err
	switch {
	case errors.Is(err, bus.ErrNoResponder):
		err = errNoSpeechSettings
	case err == nil && !r.reply.OK:
		if strings.Contains(r.reply.Error, "cannot change") {
			err = fmt.Errorf("%w: %s", errNoSpeechSettings, r.reply.Error)
		} else {
			err = errors.New(r.reply.Error)
		}
	}
	if err != nil {
		a := plainFailure(err)
		if !errors.Is(err, errNoSpeechSettings) && !strings.Contains(err.Error(), "busy") {
			a = announce.Make(announce.AckFailed)
		}
		s.acknowledge(a)
		s.answer(r.control, "", err, "")
		return
	}
	a := announce.Make(announce.AckRate, r.reply.Rate)
	if r.control.Body.Command == bus.ControlVolume {
		a = announce.Make(announce.AckVolume, r.reply.Volume)
	}
	s.acknowledge(a)
	s.answer(r.control, a.Text, nil, "")
}
