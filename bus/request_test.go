package bus_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestARequestTheFullQueueDropsIsAnsweredBusy(t *testing.T) {
	srv := bustest.Server(t)
	server, client := bustest.Conn(t, srv, "server"), bustest.Conn(t, srv, "client")
	for _, policy := range []bus.DropPolicy{bus.DropNewest, bus.DropOldest} {
		subject := bus.Prefix + ".test.requests." + map[bus.DropPolicy]string{bus.DropNewest: "newest", bus.DropOldest: "oldest"}[policy]
		q, err := bus.SubscribeRequests[bus.Control](server, subject, bus.QueueConfig{Name: "requests", Size: 1, Policy: policy})
		if err != nil {
			t.Fatal(err)
		}
		server.Flush()
		// Nobody reads q: the first request waits, the second overflows it.
		replies := make(chan bus.ControlReply, 2)
		for i := range 2 {
			go func() {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				defer cancel()
				var r bus.ControlReply
				if err := client.RequestEvent(ctx, subject, bus.Control{ID: string(rune('a' + i)), Command: bus.ControlStatus}, &r); err != nil {
					r.Error = "no reply: " + err.Error()
				}
				replies <- r
			}()
		}
		r := <-replies // only the dropped one is answered; the waiting one times out later
		if r.OK || !strings.Contains(r.Error, "busy") {
			t.Fatalf("%s: the dropped request got %+v, want a busy error", subject, r)
		}
		if q.Dropped() != 1 {
			t.Fatalf("%s: dropped %d, want 1", subject, q.Dropped())
		}
		// Answer the waiting one so its caller does not wait out its timeout.
		waiting := bustest.Next(t, q, time.Second)
		server.Reply(waiting, bus.ControlReply{OK: true})
		if r := <-replies; !r.OK {
			t.Fatalf("%s: the waiting request got %+v", subject, r)
		}
	}
}
