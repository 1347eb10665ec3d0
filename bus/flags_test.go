package bus

import (
	"context"
	"flag"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/internal/cliflag/cliflagtest"
)

// TestFlagsValidate: every bad combination of the bus flags is refused before anything opens,
// naming the flag to change.
func TestFlagsValidate(t *testing.T) {
	cliflagtest.Check(t, []cliflagtest.Case{
		{nil, ""},
		{[]string{"--listen", "127.0.0.1:0"}, ""},
		{[]string{"--nats", "nats://127.0.0.1:1", "--listen", "127.0.0.1:0"}, "--listen and --nats"},
		{[]string{"--nats", "nats://127.0.0.1:1", "--control-user", "c"}, "--control-user"},
		{[]string{"--tls-cert", "c.pem", "--tls-key", "k.pem"}, "--listen"},
		{[]string{"--listen", "nonsense"}, "HOST:PORT"},
		{[]string{"--user", "u"}, "password"},
	}, func(fs *flag.FlagSet) func() error {
		var f Flags
		f.Register(fs, true)
		return func() error { return f.Validate() } // after the parse (Validate may take a copy)
	})
}

// TestFlagsWithoutEmbedding: a command that cannot embed a server has no --listen and uses
// the default URL.
func TestFlagsWithoutEmbedding(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	f.Register(fs, false)
	if fs.Lookup("listen") != nil || fs.Lookup("control-user") != nil {
		t.Error("--listen and --control-user registered for a command that cannot embed a server")
	}
	if f.NATSURL != DefaultNATSURL {
		t.Errorf("--nats defaults to %q, want %q", f.NATSURL, DefaultNATSURL)
	}
}

// TestFlagsOpenConnectsAndCloses: an embedded bus opens, connects and closes every connection.
func TestFlagsOpenConnectsAndCloses(t *testing.T) {
	b, err := Flags{}.Open(context.Background(), slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	c, err := b.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	if b.Server() == nil {
		t.Error("no embedded server")
	}
	b.Close()
	if !c.nc.IsClosed() {
		t.Error("Close left a connection open")
	}
}

// TestHistoryFlagsValidate: bad history flags are refused; an embedded bus is pointed at the
// data directory's history/ when history is kept, and not when --nats names another server.
func TestHistoryFlagsValidate(t *testing.T) {
	home := t.TempDir()
	t.Setenv("NARRATOR_HOME", home)
	for _, h := range []HistoryFlags{{Age: 5 * time.Millisecond, MaxMB: 1}, {Age: -time.Second, MaxMB: 1}, {Age: time.Hour}, {Age: time.Hour, MaxMB: 1, FramesMB: -1}} {
		if err := h.Validate(&Flags{}); err == nil {
			t.Errorf("%+v: valid, want refused", h)
		}
	}
	var b Flags
	if err := (&HistoryFlags{Age: time.Hour, MaxMB: 1}).Validate(&b); err != nil || b.StoreDir != filepath.Join(home, "history") {
		t.Errorf("an embedded bus with history: store %q, %v; want %s", b.StoreDir, err, filepath.Join(home, "history"))
	}
	b = Flags{NATSURL: "nats://127.0.0.1:1"}
	if err := (&HistoryFlags{Age: time.Hour, MaxMB: 1}).Validate(&b); err != nil || b.StoreDir != "" {
		t.Errorf("--nats with history: store %q, %v; want none", b.StoreDir, err)
	}
	b = Flags{}
	if err := (&HistoryFlags{MaxMB: 1}).Validate(&b); err != nil || b.StoreDir != "" {
		t.Errorf("no history: store %q, %v; want none", b.StoreDir, err)
	}
}
