package narrator

import (
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/narrator-dev/narrator/bus"
)

var t0 = time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)

// step is one description fed to the policy, and what it should do with it.
type step struct {
	at        time.Duration // when it is decided, since t0
	age       time.Duration // how long before that its frame was captured
	text      string
	partial   bool
	requested bool
	failed    bool
	cancelled bool
	pause     int // 1: pause before this step, -1: resume
	want      string
	say       string // what must be said; "" means nothing
	urgent    bool
	id        string // description id; default: one per step
	change    bool   // its frame was sent as a scene change (else its reason is unknown)
	heartbeat bool   // its frame was a heartbeat of an unchanged scene
}

type policyCase struct {
	name string
	cfg  PolicyConfig
	// steps are fed in order. want is the verdict's action for final steps ("speak", or the
	// suppress reason), and "" for partial steps.
	steps []step
}

var policyCases = []policyCase{
	{name: "paraphrases are said once", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, text: "A person sitting at a desk.", want: "duplicate"},
		{at: 2 * time.Second, text: "The image shows a man sitting at a desk.", want: "duplicate"},
		{at: 3 * time.Second, text: "In this image, there is a man seated at a desk.", want: "duplicate"},
		{at: 4 * time.Second, text: "A woman is sitting at the desk", want: "duplicate"},
	}},
	{name: "model-style paraphrases and changes", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "A man with glasses is sitting in front of a computer monitor in an office.", want: "speak",
			say: "A man with glasses is sitting in front of a computer monitor in an office."},
		{at: time.Second, text: "A man wearing glasses sits at a desk, looking at a computer screen.", want: "duplicate"},
		{at: 2 * time.Second, text: "The image shows a person working at a computer in an office setting.", want: "duplicate"},
		{at: 3 * time.Second, text: "A person is sitting at a desk with a laptop in a dimly lit room.", want: "duplicate"},
		{at: 4 * time.Second, text: "A woman walks into the room carrying a box.", want: "speak", say: "A woman walks into the room carrying a box."},
		{at: 5 * time.Second, text: "An empty office chair in front of a desk.", want: "speak", say: "An empty office chair in front of a desk."},
		{at: 6 * time.Second, text: "The desk is empty.", want: "duplicate"},
	}},
	{name: "real changes are said", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, text: "A cat jumps onto the desk next to the man.", want: "speak", say: "A cat jumps onto the desk next to the man."},
		{at: 2 * time.Second, text: "The desk is empty; nobody is there.", want: "speak", say: "The desk is empty; nobody is there."},
		{at: 3 * time.Second, text: "Two children are playing with a red ball on the floor.", want: "speak", say: "Two children are playing with a red ball on the floor."},
	}},
	{name: "a new salient thing is news even in a similar sentence", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, text: "A man at a desk with a dog.", want: "speak", say: "A man at a desk with a dog."},
		{at: 2 * time.Second, text: "A person at a desk, a dog beside him.", want: "duplicate"},
	}},
	{name: "history catches a flip-flop, not an old scene", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, text: "A cat on a sofa.", want: "speak", say: "A cat on a sofa."},
		{at: 2 * time.Second, text: "A person at the desk.", want: "duplicate"},
		{at: 80 * time.Second, text: "A person at the desk.", want: "speak", say: "A person at the desk."},
	}},
	{name: "a scene that comes back with news is said again", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{text: "Bright, mostly beige, red on the left.", want: "speak", say: "Bright, mostly beige, red on the left."},
		{at: 5 * time.Second, text: "The lights went off. Very dark.", want: "speak", say: "The lights went off. Very dark."},
		{at: 10 * time.Second, text: "The whole view changed. Bright, mostly beige, red on the left.", want: "speak",
			say: "The whole view changed. Bright, mostly beige, red on the left."},
	}},
	{name: "a scene that returns after another was said is said, shortened", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A bright room with a desk and a lamp.", want: "speak", say: "A bright room with a desk and a lamp."},
		{at: 2 * time.Second, change: true, text: "It is dark.", want: "speak", say: "It is dark."},
		{at: 3 * time.Second, heartbeat: true, text: "The room is dark.", want: "duplicate"},
		{at: 20 * time.Second, change: true, text: "A brightly lit room with a lamp and a desk. A chair stands by the wall.", want: "speak",
			say: "Back to: a brightly lit room with a lamp and a desk."},
		{at: 21 * time.Second, change: true, text: "A bright room with a desk and a lamp.", want: "duplicate"},
	}},
	{name: "a new moving scene that matches a line said 8 s ago is said", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A dog runs across the lawn.", want: "speak", say: "A dog runs across the lawn."},
		{at: 2 * time.Second, change: true, text: "An empty lawn with a fence.", want: "speak", say: "An empty lawn with a fence."},
		{at: 10 * time.Second, change: true, text: "A puppy is racing across the grass.", want: "speak", say: "Back to: a puppy is racing across the grass."},
		{at: 10500 * time.Millisecond, change: true, text: "A dog running on the lawn.", want: "duplicate"},
		{at: 11 * time.Second, change: true, text: "A dog is running across the grass.", want: "duplicate"},
	}},
	{name: "A-B-A flicker is held back", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, change: true, text: "A cat on a sofa.", want: "speak", say: "A cat on a sofa."},
		{at: 2 * time.Second, change: true, text: "A person at the desk.", want: "duplicate"},
		{at: 3 * time.Second, change: true, text: "A cat on a sofa.", want: "duplicate"},
	}},
	{name: "a heartbeat that repeats an older line keeps the near-repeat rule", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, change: true, text: "A cat on a sofa.", want: "speak", say: "A cat on a sofa."},
		{at: 12 * time.Second, heartbeat: true, text: "A man at a desk.", want: "duplicate"},
	}},
	{name: "a paraphrase in other words is caught", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A small dog running across a lawn.", want: "speak", say: "A small dog running across a lawn."},
		{at: time.Second, change: true, text: "A brown dog is running on the grass.", want: "duplicate"},
		{at: 2 * time.Second, change: true, text: "A small white dog is running on the grass.", want: "duplicate"},
		{at: 3 * time.Second, change: true, text: "Two white dogs are running on the grass.", want: "speak", say: "Two white dogs are running on the grass."},
		{at: 4 * time.Second, change: true, text: "Two black dogs are running on the grass.", want: "speak", say: "Two black dogs are running on the grass."},
		{at: 5 * time.Second, change: true, text: "Three black dogs are running on the grass.", want: "speak", say: "Three black dogs are running on the grass."},
		{at: 6 * time.Second, change: true, text: "Three black dogs are sleeping on the grass.", want: "speak", say: "Three black dogs are sleeping on the grass."},
	}},
	{name: "streaming holds a return and says it shortened", cfg: PolicyConfig{Mode: ModeChanges}, steps: []step{
		{change: true, text: "A red box on the left.", want: "speak", say: "A red box on the left."},
		{at: time.Second, change: true, text: "It is dark.", want: "speak", say: "It is dark."},
		{at: 9 * time.Second, change: true, id: "r", text: "A red box on the left. A", partial: true},
		{at: 9 * time.Second, change: true, id: "r", text: "A red box on the left. A blue wall.", want: "speak", say: "Back to: a red box on the left."},
	}},
	{name: "narrate says an unchanged scene again after the refresh", cfg: PolicyConfig{Refresh: 20 * time.Second}, steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: 10 * time.Second, text: "A person at a desk.", want: "duplicate"},
		{at: 21 * time.Second, text: "A person at a desk.", want: "speak", say: "A person at a desk."},
	}},
	{name: "stale descriptions are dropped", cfg: PolicyConfig{StaleAfter: 5 * time.Second}, steps: []step{
		{at: 10 * time.Second, age: 6 * time.Second, text: "A man at a desk.", want: "stale"},
		{at: 11 * time.Second, age: 4 * time.Second, text: "A man at a desk.", want: "speak", say: "A man at a desk."},
	}},
	{name: "pause silences all but requests", steps: []step{
		{pause: 1, text: "A man at a desk.", want: "paused"},
		{at: time.Second, text: "A cat on a sofa.", requested: true, want: "speak", say: "A cat on a sofa.", urgent: true},
		{at: 2 * time.Second, pause: -1, text: "A dog in the garden.", want: "speak", say: "A dog in the garden."},
	}},
	{name: "ondemand says only what is asked", cfg: PolicyConfig{Mode: ModeOnDemand}, steps: []step{
		{text: "A man at a desk.", want: "ondemand"},
		{at: time.Second, text: "A man at a desk.", requested: true, want: "speak", say: "A man at a desk.", urgent: true},
		{at: 2 * time.Second, text: "A man at a desk.", requested: true, want: "speak", say: "A man at a desk.", urgent: true},
	}},
	{name: "director says nothing unasked", cfg: PolicyConfig{Mode: ModeDirector}, steps: []step{
		{text: "colour: blue\nmood: calm", want: "director"},
		{text: "colour: blue\nmood: calm", partial: true},
	}},
	{name: "urgent keywords", cfg: PolicyConfig{UrgentKeywords: []string{"fire", "person"}}, steps: []step{
		{text: "A kitchen with a stove.", want: "speak", say: "A kitchen with a stove."},
		{at: time.Second, text: "Flames are rising from the stove.", want: "speak", say: "Flames are rising from the stove.", urgent: true},
		{at: 2 * time.Second, text: "A woman walks in.", want: "speak", say: "A woman walks in.", urgent: true},
	}},
	{name: "boilerplate and fragments are cleaned", steps: []step{
		{text: "The image shows a red cup on a wooden table. There is a", want: "speak", say: "A red cup on a wooden table."},
		{at: time.Second, text: "Sure! Here is a description of the image: **A black dog** sleeps on a rug", want: "speak", say: "A black dog sleeps on a rug."},
		{at: 2 * time.Second, text: "In this image, we can see two bicycles leaning on a wall.", want: "speak", say: "Two bicycles leaning on a wall."},
		{at: 3 * time.Second, text: "The image shows", want: "empty"},
		{at: 4 * time.Second, text: "  ", want: "empty"},
		{at: 5 * time.Second, failed: true, want: "failed"},
	}},
	{name: "verbosity short keeps one sentence of whole words", cfg: PolicyConfig{Verbosity: Short}, steps: []step{
		{text: "A man sits at a desk. He types on a laptop. A lamp is on.", want: "speak", say: "A man sits at a desk."},
		{at: time.Second, text: "A very long sentence about a crowded market with stalls selling apples oranges pears plums grapes melons and many other fruits in the sun.",
			want: "speak", say: "A very long sentence about a crowded market with stalls selling apples oranges pears plums."},
	}},
	{name: "verbosity detailed keeps more", cfg: PolicyConfig{Verbosity: Detailed}, steps: []step{
		{text: "A man sits at a desk. He types on a laptop. A lamp is on.", want: "speak", say: "A man sits at a desk. He types on a laptop. A lamp is on."},
	}},
	{name: "streaming says the first sentence early and then the rest", steps: []step{
		{id: "d1", text: "A man sits at a", partial: true},
		{id: "d1", text: "A man sits at a desk. He is typ", partial: true, say: "A man sits at a desk."},
		{id: "d1", text: "A man sits at a desk. He is typing on a laptop. And", partial: true},
		{id: "d1", text: "A man sits at a desk. He is typing on a laptop. And a cat.", want: "speak", say: "He is typing on a laptop."},
		{at: time.Second, id: "d2", text: "A person is sitting at the desk. ", partial: true},
		{at: time.Second, id: "d2", text: "A person is sitting at the desk. He types on a laptop.", want: "duplicate"},
	}},
	{name: "streaming holds a paraphrase and decides on the whole", steps: []step{
		{text: "A man at a desk.", want: "speak", say: "A man at a desk."},
		{at: time.Second, id: "d2", text: "A person at a desk. A dog", partial: true},
		{at: time.Second, id: "d2", text: "A person at a desk. A dog walks in.", want: "speak", say: "A person at a desk. A dog walks in."},
	}},
	{name: "streaming with short verbosity says only the first sentence", cfg: PolicyConfig{Verbosity: Short}, steps: []step{
		{id: "d1", text: "The image shows a man at a desk. He", partial: true, say: "A man at a desk."},
		{id: "d1", text: "The image shows a man at a desk. He types.", want: "speak"},
	}},
	{name: "a cancelled generation keeps what it said", steps: []step{
		{id: "d1", text: "A red box on the left. A", partial: true, say: "A red box on the left."},
		{id: "d1", text: "A red box on the left. A", cancelled: true, want: "speak"},
		{at: time.Second, text: "A blue ball.", cancelled: true, want: "cancelled"},
	}},
	{name: "streamed answers are urgent", cfg: PolicyConfig{Mode: ModeOnDemand}, steps: []step{
		{id: "a", requested: true, text: "The cup is blue. It", partial: true, say: "The cup is blue.", urgent: true},
		{id: "a", requested: true, text: "The cup is blue. It is on the left.", want: "speak", say: "It is on the left.", urgent: true},
	}},
}

// paraphraseStream is a long stream of paraphrases of one scene, a real change, and paraphrases
// of the new scene: each scene must be said exactly once.
func paraphraseStream() policyCase {
	subjects := []string{"A man", "A person", "Someone", "A guy", "A woman", "The man"}
	verbs := []string{"sits at", "is sitting at", "is seated at", "sitting at", "works at"}
	places := []string{"a desk.", "the desk.", "a desk in an office.", "a desk in the room."}
	openers := []string{"", "The image shows ", "In this image, ", "I can see "}
	c := policyCase{name: "long paraphrase stream", cfg: PolicyConfig{Mode: ModeChanges}}
	at := time.Duration(0)
	add := func(text, want string) {
		s := step{at: at, text: text, want: want}
		if want == "speak" {
			s.say = cleanSentence(text)
		}
		c.steps = append(c.steps, s)
		at += 2 * time.Second
	}
	for i := range 40 {
		text := openers[i%len(openers)] + strings.ToLower(subjects[i%len(subjects)][:1]) + subjects[i%len(subjects)][1:] + " " + verbs[i%len(verbs)] + " " + places[i%len(places)]
		if openers[i%len(openers)] == "" {
			text = subjects[i%len(subjects)] + " " + verbs[i%len(verbs)] + " " + places[i%len(places)]
		}
		want := "duplicate"
		if i == 0 {
			want = "speak"
		}
		add(text, want)
	}
	add("A dog runs across the room.", "speak")
	for i := range 20 {
		add([]string{"A dog runs through the room.", "The dog is running across the room.", "A puppy running across the room."}[i%3], "duplicate")
	}
	return c
}

func runPolicyCase(t *testing.T, c policyCase) {
	t.Helper()
	p, err := NewPolicy(c.cfg)
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range c.steps {
		now := t0.Add(s.at)
		id := s.id
		if id == "" {
			id = fmt.Sprintf("d%d", i)
		}
		d := bus.Description{ID: id, Camera: "cam0", Text: s.text, Partial: s.partial, CapturedAt: now.Add(-s.age)}
		if s.failed {
			d.Error = "backend failed"
		}
		switch {
		case s.change:
			d.FrameReason = bus.FrameChanged
		case s.heartbeat:
			d.FrameReason = bus.FrameHeartbeat
		}
		if s.cancelled {
			d.Error, d.Cancelled = "cancelled: scene changed", "scene changed"
		}
		switch s.pause {
		case 1:
			p.SetPaused(true)
		case -1:
			p.SetPaused(false)
		}
		var say *Say
		if s.partial {
			say = p.Partial(d, s.requested, now)
		} else {
			v := p.Final(d, s.requested, now)
			got := v.Action
			if v.Action == bus.ActionSuppress {
				got = v.Reason
				if v.Say != nil {
					t.Errorf("step %d (%q): suppressed with something to say: %+v", i, s.text, v.Say)
				}
				if v.Reason == bus.ReasonDuplicate && v.DuplicateOf == "" {
					t.Errorf("step %d (%q): duplicate without duplicate_of", i, s.text)
				}
			}
			if got != s.want {
				t.Errorf("step %d (%q): got %s (similarity %.2f), want %s", i, s.text, got, v.Similarity, s.want)
			}
			say = v.Say
		}
		switch {
		case s.say == "" && say != nil:
			t.Errorf("step %d (%q): said %q, want nothing", i, s.text, say.Text)
		case s.say != "" && say == nil:
			t.Errorf("step %d (%q): said nothing, want %q", i, s.text, s.say)
		case say != nil:
			if say.Text != s.say {
				t.Errorf("step %d: said %q, want %q", i, say.Text, s.say)
			}
			if wantP := map[bool]string{true: bus.PriorityUrgent, false: bus.PriorityNormal}[s.urgent]; say.Priority != wantP {
				t.Errorf("step %d (%q): priority %s, want %s", i, s.text, say.Priority, wantP)
			}
			if !say.NotAfter.After(now) && !s.requested && s.age == 0 {
				t.Errorf("step %d: not_after %s is not after now", i, say.NotAfter)
			}
		}
	}
}

func TestPolicy(t *testing.T) {
	for _, c := range append(policyCases, paraphraseStream()) {
		t.Run(c.name, func(t *testing.T) { runPolicyCase(t, c) })
	}
}

func TestPolicyUnspokenIsSaidAgain(t *testing.T) {
	p, _ := NewPolicy(PolicyConfig{Mode: ModeChanges})
	if v := p.Final(bus.Description{ID: "a", Text: "A man at a desk.", CapturedAt: t0}, false, t0); v.Action != bus.ActionSpeak {
		t.Fatalf("first: %+v", v)
	}
	p.Unspoken("a") // the speech stage dropped it
	if v := p.Final(bus.Description{ID: "b", Text: "A person at a desk.", CapturedAt: t0}, false, t0.Add(time.Second)); v.Action != bus.ActionSpeak {
		t.Fatalf("a paraphrase of something never heard was suppressed: %+v", v)
	}
}

func TestPolicyConfigErrors(t *testing.T) {
	for _, cfg := range []PolicyConfig{{Mode: "loud"}, {Similarity: 1.5}, {Verbosity: 7}} {
		if _, err := NewPolicy(cfg); err == nil {
			t.Errorf("NewPolicy(%+v) accepted a bad config", cfg)
		}
	}
}

func TestVerbosityClamps(t *testing.T) {
	p, _ := NewPolicy(PolicyConfig{})
	p.SetVerbosity(p.Verbosity() + 5)
	if p.Verbosity() != Detailed {
		t.Errorf("up from normal by 5 = %s", p.Verbosity())
	}
	p.SetVerbosity(Short - 1)
	if p.Verbosity() != Short {
		t.Errorf("below short = %s", p.Verbosity())
	}
	for _, v := range []Verbosity{Short, Normal, Detailed} {
		if got, ok := ParseVerbosity(v.String()); !ok || got != v {
			t.Errorf("ParseVerbosity(%q) = %v, %v", v.String(), got, ok)
		}
	}
}

var cleanCases = []struct{ in, want string }{
	{"The image shows a man at a desk.", "A man at a desk."},
	{"This image depicts two cats on a sofa. They are asleep.", "Two cats on a sofa. They are asleep."},
	{"In the picture, there are three chairs.", "Three chairs."},
	{"It appears that the lights are off.", "The lights are off."},
	{"A man at a desk. He is typing on a keyb", "A man at a desk."},
	{"A man at a desk", "A man at a desk."},
	{"- a red cup\n- a blue plate", "A red cup. A blue plate."},
	{"Dr. Smith is reading. The end.", "Dr. Smith is reading. The end."},
	{"Is anyone there? No.", "Is anyone there? No."},
	{"Wait...", "Wait..."},
	{"", ""},
	{"...", ""},
	{"The image shows.", ""},
}

func TestClean(t *testing.T) {
	for _, c := range cleanCases {
		if got := strings.Join(clean(c.in), " "); got != c.want {
			t.Errorf("clean(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// wordsOf is the lowercase words of text, for checking that nothing said is half a word.
func wordsOf(text string) map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.IsMark(r) }) {
		m[w] = true
		m[strings.ToLower(strings.ToUpper(w))] = true // capitalising may change a rune for good
	}
	return m
}

// checkSaid fails when said is empty, does not end a sentence, or holds a word that is not a
// whole word of the source text.
func checkSaid(t *testing.T, source, said string) {
	t.Helper()
	if strings.TrimSpace(said) == "" {
		t.Fatalf("empty utterance from %q", source)
	}
	if !endsSentence(said) {
		t.Fatalf("utterance %q from %q does not end a sentence", said, source)
	}
	src := wordsOf(source)
	for w := range wordsOf(said) {
		if !src[w] {
			t.Fatalf("utterance %q from %q holds %q, not a whole word of the source", said, source, w)
		}
	}
}

func FuzzClean(f *testing.F) {
	for _, c := range cleanCases {
		f.Add(c.in)
	}
	for _, c := range policyCases {
		for _, s := range c.steps {
			f.Add(s.text)
		}
	}
	f.Fuzz(func(t *testing.T, text string) {
		for _, v := range []Verbosity{Short, Normal, Detailed} {
			for _, s := range limit(clean(text), v) {
				checkSaid(t, text, s)
			}
		}
		// The sentence a partial says first is the final text's first, and what the final
		// says after it is among the final text's sentences (but for an unfinished fragment
		// that ends it, said when nothing else is left): one normalised value, one split.
		tx := normalise(text)
		all := tx.from(0)
		if first, used := tx.first(); first != "" {
			if len(all) == 0 || all[0] != first {
				t.Errorf("%q: first sentence %q, but the whole text says %q", text, first, all)
			}
			rest := tx.from(used)
			for i, r := range rest {
				if i == len(rest)-1 && tx.tail != "" {
					break
				}
				if !slices.ContainsFunc(all, func(a string) bool { return strings.EqualFold(a, r) }) {
					t.Errorf("%q: the rest after %d sentences holds %q, which the whole text %q does not", text, used, r, all)
				}
			}
		}
	})
}

// FuzzPolicy feeds a stream of descriptions split from the input (one per line, partial
// prefixes first) and checks what the policy says.
func FuzzPolicy(f *testing.F) {
	for _, c := range append(policyCases, paraphraseStream()) {
		var texts []string
		for _, s := range c.steps {
			texts = append(texts, strings.ReplaceAll(s.text, "\n", " "))
		}
		f.Add(strings.Join(texts, "\n"), uint8(0))
		f.Add(strings.Join(texts, "\n"), uint8(1))
	}
	f.Fuzz(func(t *testing.T, input string, mode uint8) {
		cfg := PolicyConfig{Mode: Modes[int(mode)%2], Verbosity: Verbosity(int(mode)%3) + Short}
		p, err := NewPolicy(cfg)
		if err != nil {
			t.Fatal(err)
		}
		lastSaid := ""
		for i, text := range strings.Split(input, "\n") {
			now := t0.Add(time.Duration(i) * time.Second)
			d := bus.Description{ID: fmt.Sprint(i), Text: text, CapturedAt: now}
			for cut := len(text) / 2; cut > 0 && cut < len(text); cut = len(text) {
				if say := p.Partial(bus.Description{ID: d.ID, Text: text[:cut], Partial: true, CapturedAt: now}, false, now); say != nil {
					checkSaid(t, text[:cut], say.Text)
					lastSaid = say.Text
				}
			}
			v := p.Final(d, false, now)
			if v.Say != nil {
				checkSaid(t, text, v.Say.Text)
				if v.Say.Text == lastSaid && cfg.Mode == ModeChanges {
					t.Fatalf("said %q twice in a row", lastSaid)
				}
				lastSaid = v.Say.Text
			}
			if v.Action == bus.ActionSuppress && v.Reason == bus.ReasonDuplicate && v.DuplicateOf == "" {
				t.Fatalf("duplicate of nothing: %+v", v)
			}
		}
	})
}

// BenchmarkPolicyFinal measures one decision on a typical model sentence against a full history.
func BenchmarkPolicyFinal(b *testing.B) {
	p, _ := NewPolicy(PolicyConfig{Mode: ModeChanges})
	texts := []string{
		"The image shows a man sitting at a wooden desk with a laptop and a cup of coffee.",
		"A person is working on a computer at a desk in an office. A lamp is on.",
		"A cat jumps onto the desk next to the man.",
		"Two children are playing with a red ball on the floor of the living room.",
	}
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Second)
		p.Final(bus.Description{ID: fmt.Sprint(i % 64), Text: texts[i%len(texts)], CapturedAt: now}, false, now)
	}
}

// BenchmarkPolicyStream measures a streamed description: partial prefixes, then the final.
func BenchmarkPolicyStream(b *testing.B) {
	p, _ := NewPolicy(PolicyConfig{})
	text := "A man sits at a desk. He is typing on a laptop while a cat sleeps beside the keyboard."
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now := t0.Add(time.Duration(i) * time.Minute)
		id := fmt.Sprint(i)
		for cut := 8; cut < len(text); cut += 8 {
			p.Partial(bus.Description{ID: id, Text: text[:cut], Partial: true, CapturedAt: now}, false, now)
		}
		p.Final(bus.Description{ID: id, Text: text, CapturedAt: now}, false, now)
	}
}
