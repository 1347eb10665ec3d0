package bus_test

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestEventRoundTripInProcess(t *testing.T) {
	srv := bustest.Server(t)
	if url := srv.ClientURL(); url != "" {
		t.Fatalf("in-process server listens at %s, want no TCP port", url)
	}
	pub, sub := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "sub")
	q := bustest.Collect[bus.Description](t, sub, bus.AllDescriptions, 4)
	want := bus.Description{ID: "d1", Camera: "cam0", FrameID: "f1", Text: "a red box", Backend: "heuristic",
		CapturedAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC)}
	if err := pub.PublishEvent(bus.DescriptionSubject("cam0"), want); err != nil {
		t.Fatal(err)
	}
	got := bustest.Next(t, q, 2*time.Second)
	if got.ID != want.ID || got.Text != want.Text || !got.CapturedAt.Equal(want.CapturedAt) {
		t.Fatalf("got %+v, want %+v", got, want)
	}
}

func TestFrameRoundTrip(t *testing.T) {
	srv := bustest.Server(t)
	pub, sub := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "sub")
	q, err := bus.SubscribeFrames(sub, bus.AllFrames, bus.QueueConfig{Name: "frames", Size: 2})
	if err != nil {
		t.Fatal(err)
	}
	sub.Flush()
	for _, large := range []bool{false, true} {
		want := validFrame()
		want.Large = large
		if err := pub.PublishFrame(want); err != nil {
			t.Fatal(err)
		}
		got := bustest.Next(t, q, 2*time.Second)
		if got.ID != want.ID || got.Seq != want.Seq || got.Width != want.Width || got.Reason != want.Reason ||
			got.Distance != want.Distance || got.Large != want.Large || !got.CapturedAt.Equal(want.CapturedAt) || string(got.JPEG) != string(want.JPEG) {
			t.Fatalf("got %+v, want %+v", got, want)
		}
	}
}

func TestPublishRejectsOversizedFrame(t *testing.T) {
	srv := bustest.Server(t)
	c := bustest.Conn(t, srv, "pub")
	f := validFrame()
	f.JPEG = append([]byte{0xFF, 0xD8}, make([]byte, bus.MaxPayload)...)
	if err := c.PublishFrame(f); !errors.Is(err, bus.ErrTooLarge) {
		t.Fatalf("PublishFrame(%d bytes) = %v, want ErrTooLarge", len(f.JPEG), err)
	}
}

func TestUndecodableEventsAreCounted(t *testing.T) {
	srv := bustest.Server(t)
	pub, sub := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "sub")
	counters := bus.NewCounters()
	q, err := bus.SubscribeEvents[bus.Utterance](sub, bus.SubjectUtterances, bus.QueueConfig{Name: "u", Size: 4, Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	sub.Flush()
	pub.PublishEvent(bus.SubjectUtterances, "not an object")
	pub.PublishEvent(bus.SubjectUtterances, bus.Utterance{ID: "u1", Text: "hello"})
	if got := bustest.Next(t, q, 2*time.Second); got.ID != "u1" {
		t.Fatalf("got %+v, want utterance u1", got)
	}
	if n := counters.Snapshot()["u.invalid"]; n != 1 {
		t.Fatalf("u.invalid = %d, want 1", n)
	}
}

func TestListenOnPortInUseFailsNamingThePort(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	addr := l.Addr().String()
	_, err = bus.StartServer(bus.ServerConfig{Listen: addr})
	if err == nil {
		t.Fatalf("StartServer on busy %s succeeded", addr)
	}
	port := strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
	if !strings.Contains(err.Error(), port) {
		t.Fatalf("error %q does not name port %s", err, port)
	}
}

func TestTCPClientsAndToken(t *testing.T) {
	srv, err := bus.StartServer(bus.ServerConfig{Listen: "127.0.0.1:0", Auth: bus.Auth{Token: "s3cret"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	url := srv.ClientURL()
	if !strings.HasPrefix(url, "nats://127.0.0.1:") {
		t.Fatalf("ClientURL = %q, want a loopback nats URL", url)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if c, err := bus.Dial(ctx, url, "no-token", bus.Auth{}, nil); err == nil {
		c.Close()
		t.Fatal("Dial without the token succeeded")
	}
	c, err := bus.Dial(ctx, url, "with-token", bus.Auth{Token: "s3cret"}, nil)
	if err != nil {
		t.Fatalf("Dial with the token: %v", err)
	}
	c.Close()
	in, err := srv.Connect("in-process")
	if err != nil {
		t.Fatalf("in-process connect with the server's token: %v", err)
	}
	in.Close()
}

func TestDialNothingSaysWhatToDo(t *testing.T) {
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	addr := l.Addr().String()
	l.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	_, err := bus.Dial(ctx, "nats://"+addr, "x", bus.Auth{}, nil)
	if err == nil || !strings.Contains(err.Error(), addr) {
		t.Fatalf("Dial to a closed port: %v, want an error naming %s", err, addr)
	}
}

func TestValidateCamera(t *testing.T) {
	for name, ok := range map[string]bool{
		"cam0": true, "front-door_2": true, "": false, "a.b": false, "a*": false, "a>": false,
		"with space": false, strings.Repeat("x", 65): false,
	} {
		if err := bus.ValidateCamera(name); (err == nil) != ok {
			t.Errorf("ValidateCamera(%q) = %v, want ok=%v", name, err, ok)
		}
	}
}

func validFrame() bus.Frame {
	return bus.Frame{ID: "f1", Camera: "cam0", Seq: 7, CapturedAt: time.Date(2026, 11, 25, 1, 2, 3, 456789000, time.UTC),
		Width: 64, Height: 48, Reason: bus.FrameChanged, Distance: 12, JPEG: []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3}}
}
