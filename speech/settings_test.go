package speech

import (
	"context"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

var adjustCases = []struct {
	arg         string
	cur         int
	want        int
	ok          bool
	errContains string
}{
	{"up", 175, 195, true, ""},
	{"down", 175, 155, true, ""},
	{"UP", 440, 450, true, ""}, // clamped
	{"down", 90, 80, true, ""},
	{"300", 175, 300, true, ""},
	{" 250 ", 175, 250, true, ""},
	{"80%", 175, 80, true, ""},
	{"79", 175, 175, false, "from 80 to 450"},
	{"451", 175, 175, false, "from 80 to 450"},
	{"fast", 175, 175, false, "use up, down or a number"},
	{"", 175, 175, false, "use up, down"},
}

func TestAdjust(t *testing.T) {
	for _, c := range adjustCases {
		got, err := adjust(c.arg, c.cur, bus.RateStep, bus.MinRate, bus.MaxRate)
		if (err == nil) != c.ok || got != c.want || (err != nil && !strings.Contains(err.Error(), c.errContains)) {
			t.Errorf("adjust(%q, %d) = %d, %v; want %d ok=%v", c.arg, c.cur, got, err, c.want, c.ok)
		}
	}
}

func FuzzAdjust(f *testing.F) {
	for _, c := range adjustCases {
		f.Add(c.arg, c.cur)
	}
	f.Fuzz(func(t *testing.T, arg string, cur int) {
		got, err := adjust(arg, cur, bus.VolumeStep, bus.MinVolume, bus.MaxVolume)
		if err != nil && got != cur {
			t.Fatalf("a refused value changed %d to %d", cur, got)
		}
		if err == nil && (got < bus.MinVolume || got > bus.MaxVolume) {
			t.Fatalf("adjust(%q, %d) = %d, outside the bounds", arg, cur, got)
		}
	})
}

func TestAudioRateAndVolume(t *testing.T) {
	synth := &ESpeak{Binary: "espeak-ng", Voice: "en-us", Rate: 175}
	a := &Audio{Synth: synth, BaseVolume: 0.5}
	if a.Rate() != 175 || a.Volume() != 50 {
		t.Fatalf("start: rate %d volume %d, want 175 and 50", a.Rate(), a.Volume())
	}
	if err := a.SetRate(240); err != nil {
		t.Fatal(err)
	}
	if got := a.synth().(*ESpeak).Rate; got != 240 || a.Rate() != 240 {
		t.Fatalf("after SetRate(240) the synthesizer speaks at %d (Rate() %d)", got, a.Rate())
	}
	if synth.Rate != 175 {
		t.Fatal("SetRate changed the configured synthesizer in place (it may be synthesizing)")
	}
	if err := a.SetVolume(100); err != nil {
		t.Fatal(err)
	}
	// The player applies 0.5, so the clip is doubled to reach 100 percent; loud samples clip.
	p := amplify(PCM{Rate: 8000, Samples: []int16{1000, -1000, 30000}}, a.gain())
	if p.Samples[0] != 2000 || p.Samples[1] != -2000 || p.Samples[2] != 32767 {
		t.Fatalf("amplified samples %v", p.Samples)
	}
	if err := (&Audio{Synth: otherSynth{}}).SetRate(200); !errors.Is(err, ErrNotTunable) {
		t.Fatalf("SetRate on an unknown synthesizer = %v, want ErrNotTunable", err)
	}
}

// tunableFake is the fake speaker with a rate and volume.
type tunableFake struct {
	*fakeSpeaker
	mu           sync.Mutex
	rate, volume int
}

func (f *tunableFake) Rate() int   { f.mu.Lock(); defer f.mu.Unlock(); return f.rate }
func (f *tunableFake) Volume() int { f.mu.Lock(); defer f.mu.Unlock(); return f.volume }
func (f *tunableFake) SetRate(r int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.rate = r
	return nil
}
func (f *tunableFake) SetVolume(v int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.volume = v
	return nil
}

func (h *harness) settings(req bus.SpeechSettings) bus.SpeechSettingsReply {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req.ID = bus.NewID()
	var rep bus.SpeechSettingsReply
	if err := h.pub.RequestEvent(ctx, bus.SubjectSpeechSettings, req, &rep); err != nil {
		h.t.Fatal(err)
	}
	if rep.RequestID != req.ID {
		h.t.Fatalf("reply answers %q, not %q", rep.RequestID, req.ID)
	}
	return rep
}

func TestStageChangesRateAndVolume(t *testing.T) {
	tf := &tunableFake{fakeSpeaker: newFake(), rate: 175, volume: 100}
	h := startStage(t, Config{Speaker: tf})
	h.fake = tf.fakeSpeaker
	if rep := h.settings(bus.SpeechSettings{Rate: "up"}); !rep.OK || rep.Rate != 195 || rep.Volume != 100 {
		t.Fatalf("rate up: %+v", rep)
	}
	if rep := h.settings(bus.SpeechSettings{Volume: "down"}); !rep.OK || rep.Rate != 195 || rep.Volume != 90 {
		t.Fatalf("volume down: %+v", rep)
	}
	if rep := h.settings(bus.SpeechSettings{Volume: "loud"}); rep.OK || !strings.Contains(rep.Error, "volume") {
		t.Fatalf("volume loud: %+v", rep)
	}
}

func TestStageRefusesSettingsItCannotChange(t *testing.T) {
	h := startStage(t, Config{})
	if rep := h.settings(bus.SpeechSettings{Rate: "up"}); rep.OK || !strings.Contains(rep.Error, ErrNotTunable.Error()) {
		t.Fatalf("rate up on an untunable speaker: %+v", rep)
	}
}

// TestRateChangeRepreparesWhatWaits: utterances waiting when the rate changes are synthesized
// again, at the new rate.
func TestRateChangeRepreparesWhatWaits(t *testing.T) {
	tf := &tunableFake{fakeSpeaker: newFake(), rate: 175, volume: 100}
	h := startStage(t, Config{Speaker: tf})
	h.fake = tf.fakeSpeaker
	h.say("a", "first", bus.PriorityNormal, time.Minute)
	h.started("first")
	h.say("b", "second", bus.PriorityNormal, time.Minute)
	bustest.Eventually(t, 5*time.Second, "second prepared", func() bool { return len(h.fake.preparedTexts()) == 2 })
	h.settings(bus.SpeechSettings{Rate: "down"})
	bustest.Eventually(t, 5*time.Second, "second prepared again", func() bool { return len(h.fake.preparedTexts()) == 3 })
	if p := h.fake.preparedTexts(); p[2] != "second" {
		t.Fatalf("prepared %q", p)
	}
	h.fake.finish <- struct{}{}
	h.started("second")
}

// otherSynth is a synthesizer tune.go does not know.
type otherSynth struct{}

func (otherSynth) Synthesize(context.Context, string) (PCM, error) { return PCM{}, nil }
func (otherSynth) Name() string                                    { return "other" }
