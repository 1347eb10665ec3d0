package bus

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// TestOpenWorkRefusesWhenFramesAreKept: with the history keeping frames (FramesStream on the
// frame subjects), the work queue cannot take them and says why.
func TestOpenWorkRefusesWhenFramesAreKept(t *testing.T) {
	srv, err := StartServer(ServerConfig{StoreDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	c, err := srv.Connect("test")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	js, err := jetstream.New(c.nc)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := js.CreateStream(ctx, jetstream.StreamConfig{Name: FramesStream, Subjects: []string{AllFrames}, Storage: jetstream.MemoryStorage}); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWork(ctx, c, WorkConfig{}); !errors.Is(err, ErrWorkConflict) {
		t.Fatalf("got %v, want ErrWorkConflict", err)
	}
	if err := js.DeleteStream(ctx, FramesStream); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenWork(ctx, c, WorkConfig{}); err != nil {
		t.Fatalf("without the frames stream: %v", err)
	}
}
