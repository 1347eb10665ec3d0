package reading

import (
	"context"
	"log/slog"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// askSettled asks capture for settled frames (bus.SubjectSettledWanted: frames of a scene that
// settled after a change too small for the scene describer, docs/reading.md) at once and every
// third of bus.SettledLease, until ctx ends. Capture sends them only while someone asks.
func askSettled(ctx context.Context, conn *bus.Conn, log *slog.Logger) {
	t := time.NewTicker(bus.SettledLease / 3)
	defer t.Stop()
	for {
		if err := conn.PublishEvent(bus.SubjectSettledWanted, bus.SettledWanted{By: "reading", At: time.Now().UTC()}); err != nil {
			log.Debug("settled frames not asked for", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}
