package narrator

import (
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// TestReadingPolicy: the text reader's readings are said as written, passing the mode, the
// pause and the deadline but not the repeat gate or the verbosity limit.
func TestReadingPolicy(t *testing.T) {
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	full := map[string]any{bus.MetaReadingFull: "Text: Opening hours. Monday to Friday 9:00 - 17:30. Closed on Sunday."}
	cases := []struct {
		name      string
		mode      Mode
		paused    bool
		verbosity Verbosity
		text      string
		meta      map[string]any
		requested bool
		age       time.Duration
		errText   string
		action    string
		reason    string
		say       string
		priority  string
	}{
		{name: "said as written", text: "Sign: OK #2.", action: bus.ActionSpeak, say: "Sign: OK #2.", priority: bus.PriorityNormal},
		{name: "long text is not cut by the verbosity", verbosity: Short, text: "Text: One. Two. Three. Four words here now.", action: bus.ActionSpeak, say: "Text: One. Two. Three. Four words here now.", priority: bus.PriorityNormal},
		{name: "a fire exit sign is not urgent", text: "Sign: FIRE EXIT.", action: bus.ActionSpeak, say: "Sign: FIRE EXIT.", priority: bus.PriorityNormal},
		{name: "requested: the whole reading, urgent", text: "", meta: full, requested: true, action: bus.ActionSpeak, say: full[bus.MetaReadingFull].(string), priority: bus.PriorityUrgent},
		{name: "nothing new", text: "", meta: full, action: bus.ActionSuppress, reason: bus.ReasonEmpty},
		{name: "paused", paused: true, text: "Sign: EXIT.", action: bus.ActionSuppress, reason: bus.ReasonPaused},
		{name: "ondemand", mode: ModeOnDemand, text: "Sign: EXIT.", action: bus.ActionSuppress, reason: bus.ReasonOnDemand},
		{name: "requested while paused", paused: true, text: "Sign: EXIT.", requested: true, action: bus.ActionSpeak, say: "Sign: EXIT.", priority: bus.PriorityUrgent},
		{name: "stale", text: "Sign: EXIT.", age: 9 * time.Second, action: bus.ActionSuppress, reason: bus.ReasonStale},
		{name: "failed", errText: "tesseract: recognition failed", action: bus.ActionSuppress, reason: bus.ReasonFailed},
	}
	for _, c := range cases {
		p, err := NewPolicy(PolicyConfig{Mode: c.mode, Verbosity: c.verbosity})
		if err != nil {
			t.Fatal(err)
		}
		p.SetPaused(c.paused)
		d := bus.Description{ID: "d1", Camera: "cam0", Backend: bus.BackendOCR, Text: c.text, Metadata: c.meta, Error: c.errText, CapturedAt: t0.Add(-c.age)}
		v := p.Final(d, c.requested, t0)
		if v.Action != c.action || v.Reason != c.reason {
			t.Errorf("%s: %s (%s), want %s (%s)", c.name, v.Action, v.Reason, c.action, c.reason)
			continue
		}
		if c.say == "" {
			if v.Say != nil {
				t.Errorf("%s: says %q", c.name, v.Say.Text)
			}
			continue
		}
		if v.Say == nil || v.Say.Text != c.say || v.Say.Priority != c.priority {
			t.Errorf("%s: says %+v, want %q at %s", c.name, v.Say, c.say, c.priority)
		}
	}
}

// TestReadingTwice: the same reading twice is said twice (the reader, not the repeat gate,
// decides what is new), and a description after it is compared with it as with any said line.
func TestReadingTwice(t *testing.T) {
	p, _ := NewPolicy(PolicyConfig{})
	t0 := time.Date(2026, 11, 29, 8, 0, 0, 0, time.UTC)
	for i, id := range []string{"a", "b"} {
		v := p.Final(bus.Description{ID: id, Backend: bus.BackendOCR, Text: "Sign: EXIT.", CapturedAt: t0}, false, t0.Add(time.Duration(i)*time.Second))
		if v.Say == nil {
			t.Fatalf("reading %d not said: %+v", i, v)
		}
	}
	if id, text := p.LastSaid(); id != "b" || text != "Sign: EXIT." {
		t.Errorf("last said %q %q: repeat must say the reading", id, text)
	}
}
