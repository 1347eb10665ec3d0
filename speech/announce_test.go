package speech

import (
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// announce publishes an announcement utterance made at created.
func (h *harness) announce(id, text string, created time.Time) {
	h.t.Helper()
	u := bus.Utterance{ID: id, Text: text, Priority: bus.PriorityAnnouncement, Kind: bus.KindAnnouncement,
		Topic: bus.TopicAck, CapturedAt: created, CreatedAt: created, NotAfter: created.Add(time.Minute)}
	if err := h.pub.PublishEvent(bus.SubjectUtterances, u); err != nil {
		h.t.Fatal(err)
	}
}

func TestAnnouncementInterruptsNarrationAndCarriesItsKind(t *testing.T) {
	h := startStage(t, Config{})
	h.say("n1", "a long description", bus.PriorityNormal, time.Minute)
	h.started("a long description")
	h.expect("n1", bus.SpeechStarted, "")
	h.announce("a1", "Camera lost, trying again.", time.Now().UTC())
	h.silenced("a long description")
	h.expect("n1", bus.SpeechInterrupted, bus.ReasonAnnouncement)
	h.started("Camera lost, trying again.")
	ev := h.expect("a1", bus.SpeechStarted, "")
	if ev.Kind != bus.KindAnnouncement || ev.Topic != bus.TopicAck {
		t.Fatalf("started event kind %q topic %q, want the utterance's", ev.Kind, ev.Topic)
	}
	h.fake.finish <- struct{}{}
	h.expect("a1", bus.SpeechFinished, "")
}

func TestAnnouncementWaitsForUrgentAndGoesBeforeNarration(t *testing.T) {
	h := startStage(t, Config{})
	h.say("q", "the answer", bus.PriorityUrgent, time.Minute)
	h.started("the answer")
	h.expect("q", bus.SpeechStarted, "")
	h.say("n", "more narration", bus.PriorityNormal, time.Minute)
	h.announce("a", "More detail.", time.Now().UTC())
	bustest.Eventually(t, 5*time.Second, "both queued", func() bool {
		h.stage.mu.Lock()
		defer h.stage.mu.Unlock()
		return len(h.stage.pending) == 2
	})
	h.fake.finish <- struct{}{} // the answer was not interrupted
	h.expect("q", bus.SpeechFinished, "")
	h.started("More detail.")
	h.expect("a", bus.SpeechStarted, "")
	h.fake.finish <- struct{}{}
	h.expect("a", bus.SpeechFinished, "")
	h.started("more narration")
}

func TestAnnouncementIsSaidWhilePaused(t *testing.T) {
	h := startStage(t, Config{})
	h.control(bus.SpeechPause)
	bustest.Eventually(t, 5*time.Second, "paused", func() bool {
		h.stage.mu.Lock()
		defer h.stage.mu.Unlock()
		return h.stage.paused
	})
	h.say("n", "narration", bus.PriorityNormal, time.Minute)
	h.expect("n", bus.SpeechDropped, bus.ReasonPaused)
	h.announce("a", "Camera back.", time.Now().UTC())
	h.started("Camera back.")
	h.expect("a", bus.SpeechStarted, "")
}

// TestPauseSparesItsOwnAcknowledgement: the acknowledgement of a pause is published after the
// pause command but may reach the stage first; the pause must not silence it, while an
// announcement made before the pause is silenced.
func TestPauseSparesItsOwnAcknowledgement(t *testing.T) {
	h := startStage(t, Config{})
	before := time.Now().UTC()
	h.announce("old", "The model is ready.", before)
	h.started("The model is ready.")
	h.expect("old", bus.SpeechStarted, "")
	pauseAt := before.Add(time.Millisecond)
	h.announce("ack", "Paused.", pauseAt.Add(time.Millisecond)) // arrives before the command
	bustest.Eventually(t, 5*time.Second, "the acknowledgement queued", func() bool {
		h.stage.mu.Lock()
		defer h.stage.mu.Unlock()
		return len(h.stage.pending) == 1
	})
	if err := h.pub.PublishEvent(bus.SubjectSpeechControl, bus.SpeechControl{ID: bus.NewID(), Command: bus.SpeechPause, At: pauseAt}); err != nil {
		t.Fatal(err)
	}
	h.silenced("The model is ready.")
	h.expect("old", bus.SpeechInterrupted, bus.ReasonPaused)
	h.started("Paused.")
	h.expect("ack", bus.SpeechStarted, "")
}
