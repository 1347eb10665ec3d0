package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
)

// GatherStats asks every process on the bus for its counters (SubjectStatsRequest) and returns
// the answers that arrive within wait, or until ctx ends.
func GatherStats(ctx context.Context, c *Conn, wait time.Duration) ([]Stats, error) {
	inbox := c.nc.NewRespInbox()
	ch := make(chan *nats.Msg, 256)
	sub, err := c.nc.ChanSubscribe(inbox, ch)
	if err != nil {
		return nil, fmt.Errorf("gather stats: %w", err)
	}
	defer func() { _ = sub.Unsubscribe() }()
	if err := c.nc.PublishRequest(SubjectStatsRequest, inbox, nil); err != nil {
		return nil, fmt.Errorf("gather stats: %w", err)
	}
	timer := time.NewTimer(wait)
	defer timer.Stop()
	var out []Stats
	for {
		select {
		case m := <-ch:
			var st Stats
			if err := json.Unmarshal(m.Data, &st); err == nil {
				out = append(out, st)
			}
		case <-timer.C:
			return out, nil
		case <-ctx.Done():
			return out, ctx.Err()
		}
	}
}
