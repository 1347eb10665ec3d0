package keys

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/narrator"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestKeysSendControlsThatAreAcknowledgedAloud(t *testing.T) {
	srv := bustest.Server(t)
	n, err := narrator.New(bustest.Conn(t, srv, "narrator"), narrator.Config{Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	defer func() { cancel(); <-done }()
	heard := bustest.Collect[bus.Utterance](t, bustest.Conn(t, srv, "ear"), bus.SubjectUtterances, 32)

	var out bustest.SyncBuffer
	k := &Controls{conn: bustest.Conn(t, srv, "keys"), out: &out, log: slog.New(slog.DiscardHandler), goodbyeT: 100 * time.Millisecond}
	for _, c := range []struct {
		key    byte
		want   string
		paused bool
	}{
		{'p', "Paused.", true},
		{'P', "Resumed.", false},
		{'+', "More detail.", false},
		{'-', "Less detail.", false},
		{'r', "Nothing to repeat yet.", false},
		{' ', "Nothing is describing pictures right now.", false},
		{'.', "Rate and volume cannot be changed with this speech output.", false},
		{'?', announce.Make(announce.Help).Text, false},
		{'s', "Stopped.", false},
	} {
		if k.key(ctx, c.key) {
			t.Fatalf("key %q quits", c.key)
		}
		if u := bustest.Next(t, heard, 5*time.Second); u.Text != c.want || u.Kind != bus.KindAnnouncement {
			t.Errorf("key %q: heard %q (%s), want %q", c.key, u.Text, u.Kind, c.want)
		}
		if k.paused != c.paused {
			t.Errorf("after key %q paused = %v", c.key, k.paused)
		}
	}
	if k.key(ctx, 'x') {
		t.Fatal("x quits")
	}
	if !k.key(ctx, 'q') {
		t.Error("q does not quit")
	}
	if u := bustest.Next(t, heard, 5*time.Second); u.Text != "Goodbye." {
		t.Errorf("q: heard %q, want Goodbye. (x says nothing)", u.Text)
	}
	if got := out.String(); got != "" {
		t.Errorf("the keys printed %q: acknowledgements are heard (and transcribed), not printed", got)
	}
}
