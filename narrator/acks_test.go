package narrator

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// splitAnnouncements collects the utterances the stage publishes in two queues: narration, and
// announcements (the acknowledgements), so tests of either are not disturbed by the other.
func splitAnnouncements(t *testing.T, srv *bus.Server) (narration, announcements *bus.Queue[bus.Utterance]) {
	c := bustest.Conn(t, srv, "split")
	all := bustest.Collect[bus.Utterance](t, c, bus.SubjectUtterances, 128)
	narration = bustest.Collect[bus.Utterance](t, c, "test.narration", 64)
	announcements = bustest.Collect[bus.Utterance](t, c, "test.announcements", 64)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			u, err := all.Next(ctx)
			if err != nil {
				return
			}
			to := "test.narration"
			if u.Kind == bus.KindAnnouncement {
				to = "test.announcements"
			}
			if err := c.PublishEvent(to, u); err != nil {
				t.Error(err)
			}
		}
	})
	t.Cleanup(func() { cancel(); wg.Wait() })
	return narration, announcements
}

// heard waits for the next acknowledgement and checks its text.
func (h *harness) heard(want string) {
	h.t.Helper()
	u := bustest.Next(h.t, h.acks, wait)
	if u.Text != want || u.Kind != bus.KindAnnouncement || u.Priority != bus.PriorityAnnouncement || u.Topic == "" {
		h.t.Fatalf("acknowledgement %+v, want %q as an announcement", u, want)
	}
}

func TestEveryControlIsAcknowledgedAloud(t *testing.T) {
	h := startStage(t, Config{Verbosity: Normal})
	for _, c := range []struct {
		control bus.Control
		want    string
		ok      bool
	}{
		{bus.Control{Command: bus.ControlPause}, "Paused.", true},
		{bus.Control{Command: bus.ControlResume}, "Resumed.", true},
		{bus.Control{Command: bus.ControlStop}, "Stopped.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "up"}, "More detail.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "up"}, "Already the most detail.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "down"}, "Less detail.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "short"}, "Detail short.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "down"}, "Already the least detail.", true},
		{bus.Control{Command: bus.ControlVerbosity, Verbosity: "loud"}, "That did not work.", false},
		{bus.Control{Command: bus.ControlMode, Value: "changes"}, "Saying only changes.", true},
		{bus.Control{Command: bus.ControlMode, Value: "ondemand"}, "Speaking only when asked.", true},
		{bus.Control{Command: bus.ControlMode, Value: "narrate"}, "Narrating everything new.", true},
		{bus.Control{Command: bus.ControlMode, Value: "director"}, "That did not work.", false},
		{bus.Control{Command: bus.ControlMode, Value: "loud"}, "That did not work.", false},
		{bus.Control{Command: bus.ControlRepeat}, "Nothing to repeat yet.", false},
		{bus.Control{Command: bus.ControlHelp}, announce.Make(announce.Help).Text, true},
		{bus.Control{Command: bus.ControlDescribe}, "Nothing is describing pictures right now.", false},
		{bus.Control{Command: bus.ControlRead}, "Text reading is off.", false},
		{bus.Control{Command: bus.ControlRate, Value: "up"}, "Rate and volume cannot be changed with this speech output.", false},
		{bus.Control{Command: "dance"}, "That did not work.", false},
	} {
		rep := h.ctl(c.control)
		if rep.OK != c.ok {
			t.Fatalf("%s %s: reply %+v, want ok=%v", c.control.Command, c.control.Verbosity, rep, c.ok)
		}
		h.heard(c.want)
		if c.ok && c.control.Command != bus.ControlHelp && rep.Message != c.want {
			t.Errorf("%s: reply message %q, want the words that were said", c.control.Command, rep.Message)
		}
	}
	// Status is not said: the next acknowledgement is the pause after it.
	h.ctl(bus.Control{Command: bus.ControlStatus})
	h.ctl(bus.Control{Command: bus.ControlPause})
	h.heard("Paused.")
}

// TestDescribeIsAcknowledged answers describe requests as an inference stage would.
func TestDescribeIsAcknowledged(t *testing.T) {
	h := startStage(t, Config{})
	inf := bustest.Conn(t, h.srv, "inference")
	q, err := bus.SubscribeRequests[bus.DescribeRequest](inf, bus.SubjectDescribe, bus.QueueConfig{Name: "test.describe", Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := inf.Flush(); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		command    string
		usesPrompt bool
		fail       string
		want       []string
	}{
		{bus.ControlDescribe, false, "", []string{"Looking."}},
		{bus.ControlAsk, true, "", []string{"Asking."}},
		{bus.ControlAsk, false, "", []string{"Asking.", "Not a model, so describing instead of answering."}},
		{bus.ControlDescribe, false, "no frame has arrived yet", []string{"No picture yet."}},
	} {
		done := make(chan bus.ControlReply, 1)
		go func() {
			ctx, cancel := context.WithTimeout(context.Background(), wait)
			defer cancel()
			var rep bus.ControlReply
			if err := h.pub.RequestEvent(ctx, bus.SubjectControl, bus.Control{ID: bus.NewID(), Command: c.command, Text: "is it raining?"}, &rep); err != nil {
				rep.Error = err.Error()
			}
			done <- rep
		}()
		r := bustest.Next(t, q, wait)
		rep := bus.DescribeReply{ID: bus.NewID(), RequestID: r.Body.ID, OK: c.fail == "", Error: c.fail, Camera: "cam0", FrameID: "f1", Backend: "test", UsesPrompt: c.usesPrompt, At: time.Now()}
		if err := inf.Reply(r, rep); err != nil {
			t.Fatal(err)
		}
		cr := <-done
		for _, w := range c.want {
			h.heard(w)
		}
		if c.fail == "" && (cr.Message != strings.Join(c.want, " ") || strings.Contains(cr.Message, "f1")) {
			t.Errorf("%s: reply message %q, want the plain words said", c.command, cr.Message)
		}
	}
}

// TestReadIsAcknowledged: the read control goes to the text reader, not the describer; its
// answer is said in full, from the reading's metadata.
func TestReadIsAcknowledged(t *testing.T) {
	h := startStage(t, Config{})
	reader := bustest.Conn(t, h.srv, "reader")
	q, err := bus.SubscribeRequests[bus.DescribeRequest](reader, bus.SubjectRead, bus.QueueConfig{Name: "test.read", Size: 8})
	if err != nil {
		t.Fatal(err)
	}
	if err := reader.Flush(); err != nil {
		t.Fatal(err)
	}
	done := make(chan bus.ControlReply, 1)
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), wait)
		defer cancel()
		var rep bus.ControlReply
		if err := h.pub.RequestEvent(ctx, bus.SubjectControl, bus.Control{ID: bus.NewID(), Command: bus.ControlRead}, &rep); err != nil {
			rep.Error = err.Error()
		}
		done <- rep
	}()
	r := bustest.Next(t, q, wait)
	if r.Body.Purpose != bus.ControlRead {
		t.Errorf("read request purpose %q", r.Body.Purpose)
	}
	if err := reader.Reply(r, bus.DescribeReply{ID: bus.NewID(), RequestID: r.Body.ID, OK: true, Camera: "cam0", FrameID: "f1", Backend: bus.BackendOCR, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	if rep := <-done; !rep.OK || rep.Message != "Reading." {
		t.Fatalf("read control reply %+v", rep)
	}
	h.heard("Reading.")
	full := "Text: Dear customer. Our shop will close early on Saturday. Thank you."
	d := bus.Description{ID: bus.NewID(), Camera: "cam0", FrameID: "f1", Backend: bus.BackendOCR, Text: full, RequestID: r.Body.ID,
		Metadata: map[string]any{bus.MetaReadingFull: full}, CapturedAt: time.Now().UTC()}
	said := bustest.Collect[bus.Utterance](t, reader, bus.SubjectUtterances, 8)
	if err := reader.PublishEvent(bus.DescriptionSubject("cam0"), d); err != nil {
		t.Fatal(err)
	}
	for {
		u := bustest.Next(t, said, wait)
		if u.DescriptionID != d.ID {
			continue
		}
		if u.Text != full || u.Priority != bus.PriorityUrgent {
			t.Errorf("the reading was said as %q (%s), want %q, urgent", u.Text, u.Priority, full)
		}
		return
	}
}

// TestModeChangesWhatIsSaid: after `ctl mode ondemand` a new scene is not said, and after
// `ctl mode narrate` the next one is; the reply carries the mode in force.
func TestModeChangesWhatIsSaid(t *testing.T) {
	h := startStage(t, Config{Verbosity: Normal})
	if rep := h.ctl(bus.Control{Command: bus.ControlMode, Value: "ondemand"}); !rep.OK || rep.Mode != string(ModeOnDemand) {
		t.Fatalf("mode ondemand: %+v", rep)
	}
	h.heard("Speaking only when asked.")
	h.describe(bus.Description{Text: "A red cup stands on a wooden table."})
	if d := bustest.Next(t, h.decisions, wait); d.Action != bus.ActionSuppress {
		t.Fatalf("in ondemand mode a new scene was decided %+v", d)
	}
	if rep := h.ctl(bus.Control{Command: bus.ControlMode, Value: "narrate"}); !rep.OK || rep.Mode != string(ModeNarrate) {
		t.Fatalf("mode narrate: %+v", rep)
	}
	h.heard("Narrating everything new.")
	h.describe(bus.Description{Text: "A black dog sleeps on a green sofa."})
	if d := bustest.Next(t, h.decisions, wait); d.Action != bus.ActionSpeak {
		t.Fatalf("back in narrate mode a new scene was decided %+v", d)
	}
}
