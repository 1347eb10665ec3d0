package eventfmt_test

import (
	"context"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/bus/eventfmt"
)

// TestPrinterPrintsWhatArrivesAndHidesStats: on a real bus, the printer prints each event as
// one line and leaves out stats when asked to.
func TestPrinterPrintsWhatArrivesAndHidesStats(t *testing.T) {
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "pub")
	var out bustest.SyncBuffer
	pc := bustest.Conn(t, srv, "printer")
	p, err := eventfmt.NewPrinter(pc, eventfmt.PrinterConfig{Out: &out, JSON: true, HideStats: true})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Flush(); err != nil { // the subscription is on the server before anything is published
		t.Fatal(err)
	}
	bustest.Run(t, p)
	if err := pub.PublishEvent(bus.SubjectStats, bus.Stats{Process: "p"}); err != nil {
		t.Fatal(err)
	}
	if err := pub.PublishEvent(bus.SubjectDecisions, bus.Decision{Camera: "cam0", Action: bus.ActionSuppress}); err != nil {
		t.Fatal(err)
	}
	bustest.Eventually(t, 5*time.Second, "the decision printed", func() bool { return strings.Contains(out.String(), bus.SubjectDecisions) })
	if strings.Contains(out.String(), bus.SubjectStats) {
		t.Errorf("stats printed though hidden:\n%s", out.String())
	}
	if n := strings.Count(out.String(), "\n"); n != 1 {
		t.Errorf("%d lines for one event:\n%s", n, out.String())
	}
}

// brokenPipe is a reader that went away.
type brokenPipe struct{}

func (brokenPipe) Write([]byte) (int, error) { return 0, fmt.Errorf("write stdout: %w", syscall.EPIPE) }

// TestPrinterStopsWhenItsReaderGoesAway: `narrator run --json | head` ends the printer without
// an error; another write error is one.
func TestPrinterStopsWhenItsReaderGoesAway(t *testing.T) {
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "pub")
	pc := bustest.Conn(t, srv, "printer")
	p, err := eventfmt.NewPrinter(pc, eventfmt.PrinterConfig{Out: brokenPipe{}})
	if err != nil {
		t.Fatal(err)
	}
	if err := pc.Flush(); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- p.Run(context.Background()) }()
	if err := pub.PublishEvent(bus.SubjectControl, bus.Control{Command: bus.ControlPause}); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Run: %v, want nil when the reader went away", err)
		}
	case <-time.After(10 * time.Second): // a hang detector, not a timing assertion
		t.Fatal("the printer did not stop when its reader went away")
	}
}
