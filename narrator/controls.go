// Controls: pause, resume, verbosity, repeat and the other commands, each acknowledged aloud.

package narrator

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// control carries out one control request and acknowledges it. Describe and ask are
// acknowledged once the inference stage has accepted them (see described).
func (s *Stage) control(ctx context.Context, wg *sync.WaitGroup, r bus.Request[bus.Control], results chan<- describeResult, now time.Time) {
	c := r.Body
	if r.Err != nil {
		s.controlsBad.Add(1)
		s.acknowledge(plainFailure(r.Err))
		s.answer(r, "", r.Err, "")
		return
	}
	before := s.policy.Verbosity()
	var msg string
	var err error
	switch c.Command {
	case bus.ControlPause:
		s.setPaused(true, now)
		msg = "paused"
	case bus.ControlResume:
		s.setPaused(false, now)
		msg = "resumed"
	case bus.ControlStop:
		s.speechControl(bus.SpeechStop, now)
		msg = "stopped what was being said"
	case bus.ControlRepeat:
		id, text := s.policy.LastSaid()
		if text == "" {
			err = errors.New("nothing has been said yet")
			break
		}
		s.setPaused(false, now)
		s.utter(s.camera, id, now, Say{Text: text, Priority: bus.PriorityUrgent, NotAfter: now.Add(s.policy.cfg.StaleAfter)}, now)
		msg = "repeating: " + text
	case bus.ControlVerbosity:
		msg, err = s.verbosity(c.Verbosity)
	case bus.ControlMode:
		msg, err = s.mode(c.Value)
	case bus.ControlStatus:
		msg = "ok"
	case bus.ControlHelp:
		msg = "help"
	case bus.ControlRate, bus.ControlVolume:
		if strings.TrimSpace(c.Value) == "" {
			err = fmt.Errorf("%s needs up, down or a number", c.Command)
			break
		}
		s.requestSettings(ctx, wg, r, s.settingsResults, now)
		return
	case bus.ControlDescribe, bus.ControlAsk, bus.ControlRead:
		if c.Command == bus.ControlAsk && strings.TrimSpace(c.Text) == "" {
			err = errors.New(`ask needs a question, e.g. narrator ctl ask "what colour is the cup?"`)
			break
		}
		if s.asking >= maxPending {
			err = fmt.Errorf("busy: %d describe requests are still waiting for the inference stage; try again", s.asking)
			break
		}
		s.setPaused(false, now)
		s.asking++
		s.requestDescription(ctx, wg, r, results, now)
		return
	default:
		s.controlsBad.Add(1)
		err = fmt.Errorf("unknown command %q: use describe, read, repeat, pause, resume, stop, ask, verbosity, mode, rate, volume, help or status", c.Command)
	}
	if a, ok := s.ackFor(c, before, err); ok {
		s.acknowledge(a)
		if err == nil && c.Command != bus.ControlHelp {
			msg = a.Text
		}
	}
	s.answer(r, msg, err, "")
}

// verbosity changes the verbosity by up, down or a level name.
func (s *Stage) verbosity(arg string) (string, error) {
	v := s.policy.Verbosity()
	switch strings.ToLower(strings.TrimSpace(arg)) {
	case "up", "+", "more":
		v++
	case "down", "-", "less":
		v--
	default:
		var ok bool
		if v, ok = ParseVerbosity(arg); !ok {
			return "", fmt.Errorf("verbosity %q: use up, down, short, normal or detailed", arg)
		}
	}
	s.policy.SetVerbosity(v)
	return "verbosity " + s.policy.Verbosity().String(), nil
}

// mode changes what is said unasked. Director mode changes the model's prompt, so it is chosen
// at start only (--mode director), and a director run keeps it.
func (s *Stage) mode(arg string) (string, error) {
	m, err := ParseMode(strings.ToLower(strings.TrimSpace(arg)))
	if err != nil {
		return "", errors.New("mode: use narrate, changes or ondemand")
	}
	if m == ModeDirector || s.policy.Mode() == ModeDirector {
		return "", errors.New("director mode is chosen at start (narrator run --mode director) and kept, because it changes the model's prompt")
	}
	s.policy.SetMode(m)
	return "mode " + string(m), nil
}

// setPaused pauses or resumes narration and tells the speech stage, when that changes anything.
func (s *Stage) setPaused(paused bool, now time.Time) {
	if s.policy.Paused() == paused {
		return
	}
	s.policy.SetPaused(paused)
	if paused {
		s.speechControl(bus.SpeechPause, now)
	} else {
		s.speechControl(bus.SpeechResume, now)
	}
}

func (s *Stage) speechControl(command string, now time.Time) {
	s.publish(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: command, Reason: "user", At: now})
}

// answer replies to a control request with the narrator's state, and for describe and ask the
// id of the describe request made.
func (s *Stage) answer(r bus.Request[bus.Control], msg string, err error, describeID string) {
	rep := bus.ControlReply{
		ID: bus.NewID(), RequestID: r.Body.ID, OK: err == nil, Message: msg, DescribeID: describeID, Mode: string(s.policy.Mode()),
		Verbosity: s.policy.Verbosity().String(), Paused: s.policy.Paused(), Prompt: s.prompt, At: time.Now().UTC(),
	}
	if err != nil {
		rep.Error = err.Error()
		s.cfg.Logger.Info("control refused", "command", r.Body.Command, "err", err)
	} else {
		s.cfg.Logger.Debug("control", "command", r.Body.Command, "result", msg)
	}
	if err := s.conn.Reply(r, rep); err != nil {
		s.cfg.Logger.Warn("control reply not sent", "err", err)
	}
}
