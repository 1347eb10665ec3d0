package narrator

import (
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// reading decides on a reading of the text reader (Backend bus.BackendOCR). It is said as
// written: the reader has already chosen what is new and how much to say, so the repeat gate,
// the cleaning of model boilerplate and the verbosity limit do not apply (they would cut a
// sign's lines or drop a word such as "OK"). The mode, the pause and the deadline apply as to
// any description. A requested reading (the read or describe controls) says the whole text the
// reader kept, from its metadata, at urgent priority; one said unasked is never urgent, whatever
// it says ("FIRE EXIT" is a sign, not a fire).
func (p *Policy) reading(d bus.Description, requested bool, now time.Time) Verdict {
	if d.Error != "" {
		if d.Cancelled != "" {
			return Verdict{Action: bus.ActionSuppress, Reason: bus.ReasonCancelled}
		}
		return Verdict{Action: bus.ActionSuppress, Reason: bus.ReasonFailed}
	}
	text := strings.TrimSpace(d.Text)
	if full, ok := d.Metadata[bus.MetaReadingFull].(string); ok && requested && strings.TrimSpace(full) != "" {
		text = strings.TrimSpace(full)
	}
	if text == "" {
		return Verdict{Action: bus.ActionSuppress, Reason: bus.ReasonEmpty}
	}
	deadline := p.notAfter(d, requested, now)
	priority := bus.PriorityUrgent
	if !requested {
		if r := p.quiet(); r != "" {
			return Verdict{Action: bus.ActionSuppress, Reason: r, Text: text}
		}
		if now.After(deadline) {
			return Verdict{Action: bus.ActionSuppress, Reason: bus.ReasonStale, Text: text}
		}
		priority = bus.PriorityNormal
	}
	p.remember(d.ID, text, gistOf(text), now)
	return Verdict{Action: bus.ActionSpeak, Text: text, Say: &Say{Text: text, Priority: priority, NotAfter: deadline}}
}
