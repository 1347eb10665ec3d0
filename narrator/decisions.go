// The stage's decisions on descriptions: the policy applied, utterances sent and matched with the speech stage's events.

package narrator

import (
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// description applies the policy to a partial or final description.
func (s *Stage) description(d bus.Description, now time.Time) {
	s.camera = d.Camera
	purpose, requested := "", false
	if d.RequestID != "" {
		purpose, requested = s.pending.Get(d.RequestID)
	}
	director := s.policy.Mode() == ModeDirector && purpose != bus.ControlAsk
	if d.Partial {
		if director {
			return // cues are parsed from the final text only
		}
		if say := s.policy.Partial(d, requested, now); say != nil {
			s.utter(d.Camera, d.ID, d.CapturedAt, *say, now)
		}
		return
	}
	if requested {
		s.forgetRequest(d.RequestID)
	}
	if director && d.Error == "" {
		cue := ParseCues(d.Text)
		if len(cue.All) == 0 {
			if s.cuesInvalid.Add(1) == 1 { // then counted, and logged with the other losses
				s.cfg.Logger.Warn("director: the model's answer holds no key: value cues (a backend that takes no prompt, such as the heuristic, cannot give any)", "description", d.ID, "backend", d.Backend)
			}
		} else {
			cue.ID, cue.Camera, cue.DescriptionID, cue.CapturedAt, cue.At = bus.NewID(), d.Camera, d.ID, d.CapturedAt, now
			if bus.ValidateCamera(d.Camera) == nil {
				s.publish(bus.CueSubject(d.Camera), cue)
			}
			if requested {
				d.Text = RenderCues(cue)
			}
		}
	}
	v := s.policy.Final(d, requested, now)
	text := v.Text
	if text == "" {
		text = strings.TrimSpace(d.Text)
	}
	dec := bus.Decision{
		ID: bus.NewID(), Camera: d.Camera, DescriptionID: d.ID, Text: text, Action: v.Action,
		Reason: v.Reason, DuplicateOf: v.DuplicateOf, CapturedAt: d.CapturedAt, DecidedAt: now,
	}
	switch {
	case v.Say != nil:
		dec.UtteranceID = s.utter(d.Camera, d.ID, d.CapturedAt, *v.Say, now)
	case v.Action == bus.ActionSpeak:
		dec.UtteranceID = s.utteranceOf(d.ID) // said while streaming
	}
	if v.Action == bus.ActionSuppress {
		s.suppressed.Add(1)
		if v.Reason == bus.ReasonStale {
			s.stale.Add(1)
		}
	}
	s.publish(bus.SubjectDecisions, dec)
}

// utter publishes an utterance and remembers which description it says.
func (s *Stage) utter(camera, descriptionID string, capturedAt time.Time, say Say, now time.Time) string {
	u := bus.Utterance{
		ID: bus.NewID(), Camera: camera, DescriptionID: descriptionID, Text: say.Text,
		Priority: say.Priority, CapturedAt: capturedAt, CreatedAt: now, NotAfter: say.NotAfter, Kind: bus.KindNarration,
	}
	s.send(u)
	return u.ID
}

// sent is an utterance the stage published, remembered to match the speech stage's events.
type sent struct {
	u       bus.Utterance
	resends int
}

// send publishes u and remembers it.
func (s *Stage) send(u bus.Utterance) {
	s.utterances.Put(u.ID, &sent{u: u})
	s.spoken.Add(1)
	s.publish(bus.SubjectUtterances, u)
}

// speechEvent learns from what the speech stage did with an utterance. One it dropped unspoken
// is forgotten by the policy. One it dropped as paused although narration is not paused raced
// a resume (controls and utterances travel on different subjects), so it is sent once more.
func (s *Stage) speechEvent(e bus.SpeechEvent) {
	st, ok := s.utterances.Get(e.UtteranceID)
	if !ok || e.State != bus.SpeechDropped {
		return
	}
	if e.Reason == bus.ReasonPaused && !s.policy.Paused() && st.resends == 0 {
		again := st.u
		again.ID = bus.NewID()
		s.send(again)
		if st, ok := s.utterances.Get(again.ID); ok {
			st.resends = 1
		}
		return
	}
	s.policy.Unspoken(st.u.DescriptionID)
}

// utteranceOf is the first utterance published for a description, "" if none is remembered.
func (s *Stage) utteranceOf(descriptionID string) string {
	for id, st := range s.utterances.All() {
		if st.u.DescriptionID == descriptionID {
			return id
		}
	}
	return ""
}
