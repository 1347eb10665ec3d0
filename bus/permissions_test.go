package bus_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// controlBus starts a listening server with a reader (--user) and a control user.
func controlBus(t *testing.T, storeDir string) (*bus.Server, *bus.Conn, *bus.Conn) {
	t.Helper()
	srv := bustest.ServerWith(t, bus.ServerConfig{Listen: "127.0.0.1:0", Auth: bus.Auth{User: "reader", Password: "r-pw"},
		ControlUser: "steer", ControlPassword: "s-pw", StoreDir: storeDir})
	dial := func(name string, a bus.Auth) *bus.Conn {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		c, err := bus.Dial(ctx, srv.ClientURL(), name, a, nil)
		if err != nil {
			t.Fatalf("dial as %s: %v", a.User, err)
		}
		t.Cleanup(c.Close)
		return c
	}
	return srv, dial("reader", bus.Auth{User: "reader", Password: "r-pw"}), dial("steer", bus.Auth{User: "steer", Password: "s-pw"})
}

// TestControlUserSeparatesSteeringFromReading: with a control user, the ordinary user reads
// descriptions and publishes frames, but the server refuses its publishes on every control
// subject and on the history, and its control request fails at once with ErrNotPermitted;
// the control user and the narrator's in-process connections may do both.
func TestControlUserSeparatesSteeringFromReading(t *testing.T) {
	srv, reader, steer := controlBus(t, "")
	narrator := bustest.Conn(t, srv, "narrator") // in-process: the control user

	descs := bustest.Collect[bus.Description](t, reader, bus.AllDescriptions, 4)
	if err := narrator.PublishEvent(bus.DescriptionSubject("cam0"), bus.Description{ID: "d1", Camera: "cam0", Text: "a desk"}); err != nil {
		t.Fatal(err)
	}
	if d := bustest.Next(t, descs, 5*time.Second); d.Text != "a desk" {
		t.Fatalf("the reader got %+v", d)
	}

	// Every denied subject: the reader's publish never arrives; the control user's, sent after
	// it, is the first thing the subscriber gets.
	denied := []string{bus.SubjectControl, bus.SubjectControl + ".extra", bus.SubjectDescribe, bus.SubjectPrompt,
		bus.SubjectSpeechControl, bus.SubjectSpeechSettings, bus.SubjectUtterances, bus.HistoryPrefix + ".decisions"}
	for _, subject := range denied {
		q, err := bus.SubscribeRaw(narrator, subject, bus.QueueConfig{Name: "test", Size: 4, Policy: bus.DropNewest})
		if err != nil {
			t.Fatal(err)
		}
		if err := narrator.Flush(); err != nil {
			t.Fatal(err)
		}
		for _, c := range []*bus.Conn{reader, steer} {
			if err := c.PublishEvent(subject, map[string]string{"from": map[*bus.Conn]string{reader: "reader", steer: "steer"}[c]}); err != nil {
				t.Fatal(err)
			}
			if err := c.Flush(); err != nil {
				t.Fatal(err)
			}
		}
		m := bustest.Next(t, q, 5*time.Second)
		if !strings.Contains(string(m.Data), "steer") {
			t.Errorf("%s: first message %s, want the reader's refused and the control user's delivered", subject, m.Data)
		}
		_ = q.Close()
	}

	// A pipeline event from the reader is allowed.
	sources := bustest.Collect[bus.SourceEvent](t, narrator, bus.AllSources, 2)
	if err := reader.PublishEvent(bus.SourceSubject("cam0"), bus.SourceEvent{Camera: "cam0", State: bus.SourceUp}); err != nil {
		t.Fatal(err)
	}
	bustest.Next(t, sources, 5*time.Second)

	// A control request: refused at once for the reader (not after its minute), answered for
	// the control user.
	controls, err := bus.SubscribeRequests[bus.Control](narrator, bus.SubjectControl, bus.QueueConfig{Name: "test", Size: 4, Policy: bus.DropNewest})
	if err != nil {
		t.Fatal(err)
	}
	if err := narrator.Flush(); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for {
			r, err := controls.Next(ctx)
			if err != nil {
				return
			}
			_ = narrator.Reply(r, bus.ControlReply{OK: true, Message: "Paused."})
		}
	}()
	var rep bus.ControlReply
	rctx, rcancel := context.WithTimeout(ctx, time.Minute)
	defer rcancel()
	err = reader.RequestEvent(rctx, bus.SubjectControl, bus.Control{Command: "pause"}, &rep)
	if !errors.Is(err, bus.ErrNotPermitted) || !strings.Contains(err.Error(), "control user") {
		t.Fatalf("the reader's control request: %v, want ErrNotPermitted naming the control user", err)
	}
	if err := steer.RequestEvent(rctx, bus.SubjectControl, bus.Control{Command: "pause"}, &rep); err != nil || !rep.OK {
		t.Fatalf("the control user's request: %v %+v", err, rep)
	}
	cancel()
	_ = controls.Close()
}

// TestControlUserHistoryStillReadable: the reader cannot purge or delete the history stream
// but can read it.
func TestControlUserHistoryStillReadable(t *testing.T) {
	srv, reader, _ := controlBus(t, t.TempDir())
	narrator := bustest.Conn(t, srv, "recorder")
	rec, err := bus.NewRecorder(narrator, bus.RecorderConfig{MaxAge: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, rec)
	pub := bustest.Conn(t, srv, "pub")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var got []bus.HistoryEvent
	bustest.Eventually(t, 30*time.Second, "the decision recorded and read back by the reader", func() bool {
		if err := pub.PublishEvent(bus.SubjectDecisions, bus.Decision{ID: "dec1", Camera: "cam0", Text: "a desk"}); err != nil {
			t.Fatal(err)
		}
		got = nil
		err := bus.ReadHistory(ctx, reader, bus.HistoryQuery{}, func(e bus.HistoryEvent) error {
			got = append(got, e)
			return nil
		})
		return err == nil && len(got) > 0
	})
	if err := reader.RequestEvent(ctx, "$JS.API.STREAM.PURGE."+bus.HistoryStream, struct{}{}, &struct{}{}); !errors.Is(err, bus.ErrNotPermitted) {
		t.Fatalf("the reader's purge of the history: %v, want ErrNotPermitted", err)
	}
	if err := reader.RequestEvent(ctx, "$JS.API.STREAM.DELETE."+bus.HistoryStream, struct{}{}, &struct{}{}); !errors.Is(err, bus.ErrNotPermitted) {
		t.Fatalf("the reader's delete of the history: %v, want ErrNotPermitted", err)
	}
}

func TestControlUserValidate(t *testing.T) {
	user := bus.Auth{User: "reader", Password: "p"}
	cases := []struct {
		cfg  bus.ServerConfig
		want string
	}{
		{bus.ServerConfig{Auth: user, ControlUser: "steer"}, "--control-user needs --control-password"},
		{bus.ServerConfig{Auth: user, ControlPassword: "x"}, "--control-password needs --control-user"},
		{bus.ServerConfig{ControlUser: "steer", ControlPassword: "x"}, "needs --user and --password"},
		{bus.ServerConfig{Auth: bus.Auth{Token: "t"}, ControlUser: "steer", ControlPassword: "x"}, "not --token"},
		{bus.ServerConfig{Auth: user, ControlUser: "reader", ControlPassword: "x"}, "must differ"},
		{bus.ServerConfig{Auth: user, ControlUser: "steer", ControlPassword: "x"}, ""},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
	}
}

func TestAccessMode(t *testing.T) {
	cases := []struct {
		cfg        bus.ServerConfig
		mode, says string
	}{
		{bus.ServerConfig{}, bus.AccessInProcess, "no port"},
		{bus.ServerConfig{Listen: "127.0.0.1:4222"}, bus.AccessOpen, "rewrite the model's prompt"},
		{bus.ServerConfig{Listen: "127.0.0.1:4222", Auth: bus.Auth{Token: "t"}}, bus.AccessShared, "--control-user"},
		{bus.ServerConfig{Listen: "127.0.0.1:4222", Auth: bus.Auth{User: "r", Password: "p"}, ControlUser: "s", ControlPassword: "q"},
			bus.AccessControl, `only user "s" may steer (narrator.v1.control, narrator.v1.describe, narrator.v1.prompt`},
	}
	for _, c := range cases {
		mode, says := c.cfg.AccessMode()
		if mode != c.mode || !strings.Contains(says, c.says) {
			t.Errorf("AccessMode(%+v) = %q, %q; want %q, containing %q", c.cfg, mode, says, c.mode, c.says)
		}
	}
}
