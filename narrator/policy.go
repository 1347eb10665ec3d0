// Package narrator decides what is worth saying: the narration policy (a pure function of the
// descriptions it has seen and the time it is told) and the stage that applies it to
// descriptions from the bus and answers the user's controls.
package narrator

import (
	"fmt"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/recent"
)

// Mode is what the narrator says unasked.
type Mode string

// Modes.
const (
	// ModeNarrate speaks every description that is not a paraphrase of what was said recently,
	// and says an unchanged scene again after PolicyConfig.Refresh of silence.
	ModeNarrate Mode = "narrate"
	// ModeChanges speaks only descriptions that differ from what was said: a static scene stays silent.
	ModeChanges Mode = "changes"
	// ModeOnDemand speaks only when asked (describe now, ask).
	ModeOnDemand Mode = "ondemand"
	// ModeDirector asks the model for key: value cues and publishes them; speaks only when asked.
	ModeDirector Mode = "director"
)

// Modes lists the modes, for flags and errors.
var Modes = []Mode{ModeNarrate, ModeChanges, ModeOnDemand, ModeDirector}

// ParseMode checks a mode name.
func ParseMode(s string) (Mode, error) {
	for _, m := range Modes {
		if string(m) == s {
			return m, nil
		}
	}
	return "", fmt.Errorf("mode %q: use narrate, changes, ondemand or director", s)
}

// PolicyConfig configures a Policy. Zero fields take their defaults in NewPolicy.
type PolicyConfig struct {
	// Mode is what is said unasked. Default: ModeNarrate.
	Mode Mode
	// Verbosity is how much of each description is said. Default: Normal.
	Verbosity Verbosity
	// Similarity is the content-word similarity (Jaccard, 0-1) at or above which a description
	// repeats something said. Default: DefaultSimilarity.
	Similarity float64
	// History is how many spoken descriptions a new one is compared with. Default: 6.
	History int
	// HistoryWindow is how long spoken descriptions other than the last count as history.
	// Default: 30s.
	HistoryWindow time.Duration
	// ReturnAfter is how long ago a line said before the last one must have been said for a
	// real scene change that repeats it to be said again, shortened ("Back to: …"); sooner, it
	// is an A-B-A flicker and suppressed as a duplicate. Default: DefaultReturnAfter.
	ReturnAfter time.Duration
	// Refresh is, in ModeNarrate, the silence after which an unchanged scene is said again.
	// Default: 30s.
	Refresh time.Duration
	// StaleAfter is how long after its frame was captured (after the request, for requested
	// descriptions) an utterance may still start. Default: 8s.
	StaleAfter time.Duration
	// UrgentKeywords make a description urgent when it mentions one (synonyms and plurals
	// count: "person" matches "two women"). Default: fire, smoke.
	UrgentKeywords []string
}

// Defaults of the policy's numbers, used by NewPolicy and by the flags.
const (
	DefaultSimilarity = 0.4
	DefaultRefresh    = 30 * time.Second
	DefaultStaleAfter = 8 * time.Second
)

// DefaultUrgentKeywords are the urgent keywords when none are configured.
var DefaultUrgentKeywords = []string{"fire", "smoke"}

// Verdict is the policy's answer for one final description.
type Verdict struct {
	Action      string  // bus.ActionSpeak or bus.ActionSuppress
	Reason      string  // why it was suppressed
	DuplicateOf string  // the description id it repeats, for bus.ReasonDuplicate
	ReturnTo    string  // the description id of the scene it comes back to, when said as "Back to: …"
	Similarity  float64 // its similarity to the closest spoken description
	Text        string  // the cleaned description, as far as the verbosity allows
	// Say is what to say now: the text, or for a streamed description the rest after what
	// Partial already said (possibly nothing).
	Say *Say
}

// Say is one utterance the policy wants spoken.
type Say struct {
	Text     string
	Priority string // bus.PriorityNormal or bus.PriorityUrgent
	NotAfter time.Time
}

// stream is the policy's memory of a description that is still being generated.
type stream struct {
	sentences int  // complete sentences of the raw text already said
	spoke     bool // its first sentence was said
	held      bool // its first sentence was not said; decide on the final text
}

// maxStreams bounds how many unfinished descriptions the policy remembers.
const maxStreams = 16

// Policy decides what to say. It does no I/O and reads no clock: every call is told the time,
// so it is tested with plain tables. It is not safe for concurrent use.
type Policy struct {
	cfg     PolicyConfig
	urgent  map[string]bool
	salient map[string]bool
	paused  bool
	history []spoken                       // oldest first; the last is the last said
	streams *recent.Index[string, *stream] // unfinished descriptions by id
}

// NewPolicy fills cfg's defaults and returns a policy that has said nothing yet.
func NewPolicy(cfg PolicyConfig) (*Policy, error) {
	if cfg.Mode == "" {
		cfg.Mode = ModeNarrate
	}
	if _, err := ParseMode(string(cfg.Mode)); err != nil {
		return nil, err
	}
	if cfg.Verbosity < Short || cfg.Verbosity > Detailed {
		return nil, fmt.Errorf("verbosity %d: use Short, Normal or Detailed", cfg.Verbosity)
	}
	if cfg.Similarity == 0 {
		cfg.Similarity = DefaultSimilarity
	}
	if cfg.Similarity < 0 || cfg.Similarity > 1 {
		return nil, fmt.Errorf("similarity %v: use a number between 0 and 1", cfg.Similarity)
	}
	if cfg.History <= 0 {
		cfg.History = 6
	}
	if cfg.HistoryWindow <= 0 {
		cfg.HistoryWindow = 30 * time.Second
	}
	if cfg.Refresh <= 0 {
		cfg.Refresh = DefaultRefresh
	}
	if cfg.ReturnAfter <= 0 {
		cfg.ReturnAfter = DefaultReturnAfter
	}
	if cfg.StaleAfter <= 0 {
		cfg.StaleAfter = DefaultStaleAfter
	}
	if cfg.UrgentKeywords == nil {
		cfg.UrgentKeywords = DefaultUrgentKeywords
	}
	p := &Policy{cfg: cfg, urgent: contentWords(strings.Join(cfg.UrgentKeywords, " ")), salient: map[string]bool{}, streams: recent.New[string, *stream](maxStreams)}
	for w := range salientWords {
		p.salient[w] = true
	}
	for w := range p.urgent {
		p.salient[w] = true
	}
	return p, nil
}

// Mode is the policy's mode.
func (p *Policy) Mode() Mode { return p.cfg.Mode }

// SetMode changes what is said unasked.
func (p *Policy) SetMode(m Mode) { p.cfg.Mode = m }

// Verbosity is the current verbosity.
func (p *Policy) Verbosity() Verbosity { return p.cfg.Verbosity }

// SetVerbosity changes the verbosity; levels beyond Short and Detailed are clamped.
func (p *Policy) SetVerbosity(v Verbosity) { p.cfg.Verbosity = max(Short, min(Detailed, v)) }

// Paused reports whether narration is paused.
func (p *Policy) Paused() bool { return p.paused }

// SetPaused pauses or resumes narration. While paused only requested descriptions are said.
func (p *Policy) SetPaused(paused bool) { p.paused = paused }

// LastSaid is the text last said and the description it came from; "" when nothing was.
func (p *Policy) LastSaid() (descriptionID, text string) {
	if len(p.history) == 0 {
		return "", ""
	}
	h := p.history[len(p.history)-1]
	return h.descriptionID, h.text
}

// Unspoken tells the policy that what it said for a description was never heard (the speech
// stage dropped it), so the next description is compared with what was really said before.
func (p *Policy) Unspoken(descriptionID string) {
	for i, h := range p.history {
		if h.descriptionID == descriptionID {
			p.history = append(p.history[:i], p.history[i+1:]...)
			return
		}
	}
}

// quiet says why an unrequested description is not said in the current mode or state, or "".
func (p *Policy) quiet() string {
	switch {
	case p.cfg.Mode == ModeDirector:
		return bus.ReasonDirector
	case p.cfg.Mode == ModeOnDemand:
		return bus.ReasonOnDemand
	case p.paused:
		return bus.ReasonPaused
	}
	return ""
}

// notAfter is the deadline for saying d: StaleAfter after its capture, or after now when the
// user asked for it (the newest frame of a still scene can be old and still true).
func (p *Policy) notAfter(d bus.Description, requested bool, now time.Time) time.Time {
	if requested || d.CapturedAt.IsZero() {
		return now.Add(p.cfg.StaleAfter)
	}
	return d.CapturedAt.Add(p.cfg.StaleAfter)
}

// priority is urgent for requested descriptions and for text naming an urgent keyword.
func (p *Policy) priority(words map[string]bool, requested bool) string {
	if requested {
		return bus.PriorityUrgent
	}
	for w := range p.urgent {
		if words[w] {
			return bus.PriorityUrgent
		}
	}
	return bus.PriorityNormal
}

// Partial handles a partial description (the text generated so far). As soon as it holds a
// complete sentence worth saying, Partial returns that sentence to say while the model goes on;
// Final then says only the rest. It returns nil when there is nothing to say yet.
func (p *Policy) Partial(d bus.Description, requested bool, now time.Time) *Say {
	if _, seen := p.streams.Get(d.ID); seen || d.Error != "" {
		return nil
	}
	if !requested && p.quiet() != "" {
		return nil
	}
	first, used := normalise(d.Text).first()
	if first == "" {
		return nil
	}
	st := &stream{}
	p.track(d.ID, st)
	deadline := p.notAfter(d, requested, now)
	if !requested && now.After(deadline) {
		st.held = true
		return nil
	}
	said := limit([]string{first}, p.cfg.Verbosity)
	text := strings.Join(said, " ")
	g := gistOf(text)
	if !requested {
		if r := p.repeats(g, realChange(d), now); r.back || (r.dup && !p.refreshDue(now)) {
			st.held = true // a repeat, or a return said shortened: decided on the final text
			return nil
		}
	}
	st.spoke, st.sentences = true, used
	p.remember(d.ID, text, g, now)
	return &Say{Text: text, Priority: p.priority(g.words, requested), NotAfter: deadline}
}

// refreshDue reports whether, in ModeNarrate, the scene should be said again even unchanged.
func (p *Policy) refreshDue(now time.Time) bool {
	return p.cfg.Mode == ModeNarrate && len(p.history) > 0 && now.Sub(p.history[len(p.history)-1].at) >= p.cfg.Refresh
}

func (p *Policy) track(id string, st *stream) { p.streams.Put(id, st) }

func (p *Policy) untrack(id string) *stream {
	st, _ := p.streams.Delete(id)
	return st
}

// Final decides on a final description; requested says the user asked for it (describe now,
// ask), which bypasses the mode, the pause and the repeat gate, and makes it urgent.
func (p *Policy) Final(d bus.Description, requested bool, now time.Time) Verdict {
	st := p.untrack(d.ID)
	if d.Backend == bus.BackendOCR {
		return p.reading(d, requested, now)
	}
	suppress := func(reason string) Verdict { return Verdict{Action: bus.ActionSuppress, Reason: reason} }
	if d.Error != "" {
		if first := p.historyText(d.ID); st != nil && st.spoke && first != "" {
			// Its first sentence was said before the generation failed or was cancelled.
			return Verdict{Action: bus.ActionSpeak, Text: first}
		}
		if d.Cancelled != "" {
			return suppress(bus.ReasonCancelled)
		}
		return suppress(bus.ReasonFailed)
	}
	t := normalise(d.Text)
	sentences := t.from(0)
	if len(sentences) == 0 {
		return suppress(bus.ReasonEmpty)
	}
	said := limit(sentences, p.cfg.Verbosity)
	text := strings.Join(said, " ")
	v := Verdict{Text: text}
	if first := p.historyText(d.ID); st != nil && st.spoke && first != "" {
		// The first sentence was said already: say the rest that the verbosity allows.
		rest := t.from(st.sentences)
		v.Action = bus.ActionSpeak
		full := []string{first}
		for _, r := range rest {
			full = appendNew(full, r)
		}
		full = limit(full, p.cfg.Verbosity)
		v.Text = strings.Join(full, " ")
		p.rewrite(d.ID, v.Text)
		if len(full) > 1 {
			restText := strings.Join(full[1:], " ")
			v.Say = &Say{Text: restText, Priority: p.priority(gistOf(restText).words, requested), NotAfter: p.notAfter(d, requested, now)}
		}
		return v
	}
	if !requested {
		if r := p.quiet(); r != "" {
			return Verdict{Action: bus.ActionSuppress, Reason: r, Text: text}
		}
	}
	deadline := p.notAfter(d, requested, now)
	if !requested && now.After(deadline) {
		return Verdict{Action: bus.ActionSuppress, Reason: bus.ReasonStale, Text: text}
	}
	g := gistOf(text)
	r := p.repeats(g, realChange(d), now)
	v.Similarity = r.sim
	if r.dup && !requested && !p.refreshDue(now) {
		v.Action, v.Reason, v.DuplicateOf = bus.ActionSuppress, bus.ReasonDuplicate, r.of
		return v
	}
	if r.back && !requested {
		text, v.ReturnTo = backTo(sentences), r.of
		v.Text = text
	}
	p.remember(d.ID, text, g, now)
	v.Action = bus.ActionSpeak
	v.Say = &Say{Text: text, Priority: p.priority(g.words, requested), NotAfter: deadline}
	return v
}

func (p *Policy) historyText(id string) string {
	for _, h := range p.history {
		if h.descriptionID == id {
			return h.text
		}
	}
	return ""
}

// rewrite replaces what is remembered as said for a description, once its rest is known.
func (p *Policy) rewrite(id, text string) {
	for i := range p.history {
		if p.history[i].descriptionID == id {
			p.history[i].text, p.history[i].gist = text, gistOf(text)
		}
	}
}
