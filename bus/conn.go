package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nuid"

	"github.com/narrator-dev/narrator/internal/redact"
)

// ErrTooLarge is returned when a message would exceed MaxPayload.
var ErrTooLarge = errors.New("message larger than the bus max payload")

// How a client made by Dial finds its server again. A cluster's nodes are given as several URLs,
// comma-separated ("nats://a:4222,nats://b:4222"), or as one seed URL: the server tells the
// client the other nodes of its cluster (nats.go's discovered servers). When the connection is
// lost the client tries every known node at once, one after the other, and waits
// DefaultReconnectWait only after each has failed; it never gives up.
const (
	// DefaultReconnectWait is the pause after every known server has refused a reconnection.
	DefaultReconnectWait = 500 * time.Millisecond
	// DefaultDialTimeout bounds one attempt to reach one server, so a node whose host is gone
	// (no answer at all) delays the move to the next node by at most this.
	DefaultDialTimeout = 2 * time.Second
	// DefaultPingInterval is how often a client asks its server for a PONG. A host that loses
	// power or its network closes no socket: after DefaultMaxPingsOut unanswered pings the
	// client treats the server as gone and moves on, so a silent node is left within
	// DefaultPingInterval × (DefaultMaxPingsOut+1) (6 s). nats.go's own default is 2 minutes.
	DefaultPingInterval = 2 * time.Second
	// DefaultMaxPingsOut is how many pings may go unanswered before the server is given up.
	DefaultMaxPingsOut = 2
	// DefaultReconnectBufSize bounds what a client keeps of its publishes while it has no
	// server (nats.go's default, 8 MiB: a few seconds of frames, and every event); what does not
	// fit fails to publish and is counted by the stage that published it.
	DefaultReconnectBufSize = 8 << 20
)

// dialOptions are the connection options of Dial: the reconnection tuning above, and a connect
// timeout that never exceeds ctx's deadline.
func dialOptions(ctx context.Context) []nats.Option {
	timeout := DefaultDialTimeout
	if deadline, ok := ctx.Deadline(); ok && time.Until(deadline) < timeout {
		timeout = max(time.Until(deadline), time.Millisecond)
	}
	return []nats.Option{
		nats.RetryOnFailedConnect(false),
		nats.ReconnectWait(DefaultReconnectWait),
		nats.Timeout(timeout),
		nats.PingInterval(DefaultPingInterval),
		nats.MaxPingsOutstanding(DefaultMaxPingsOut),
		nats.ReconnectBufSize(DefaultReconnectBufSize),
	}
}

// Conn is a client connection to the bus.
type Conn struct {
	nc       *nats.Conn
	log      *slog.Logger
	closed   chan struct{}
	refusals refusals // requests waiting to hear that their publish was refused (permissions.go)
}

func connect(url, name string, log *slog.Logger, opts ...nats.Option) (*Conn, error) {
	log = log.With("conn", name)
	closed := make(chan struct{})
	c := &Conn{log: log, closed: closed}
	opts = append(opts,
		nats.ClosedHandler(func(*nats.Conn) { close(closed) }),
		nats.Name(name),
		nats.MaxReconnects(-1),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			if err != nil {
				log.Warn("bus disconnected", "err", err)
			}
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			log.Info("bus reconnected", "url", redact.URL(nc.ConnectedUrl()), "server", nc.ConnectedServerName())
		}),
		nats.ErrorHandler(func(_ *nats.Conn, sub *nats.Subscription, err error) {
			subject := ""
			if sub != nil {
				subject = sub.Subject
			}
			if c.refusals.refused(err) {
				log.Debug("bus refused a request", "err", err)
				return
			}
			log.Warn("bus error", "subject", subject, "err", err)
		}),
	)
	if url == "" {
		url = nats.DefaultURL
	}
	nc, err := nats.Connect(url, opts...)
	if err != nil {
		return nil, err
	}
	c.nc = nc
	return c, nil
}

// NewID returns a new unique event id.
func NewID() string { return nuid.Next() }

// PublishEvent publishes v as JSON on subject.
func (c *Conn) PublishEvent(subject string, v any) error {
	data, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("encode event for %s: %w", subject, err)
	}
	if len(data) > MaxPayload {
		return fmt.Errorf("publish %s (%d bytes): %w", subject, len(data), ErrTooLarge)
	}
	msg := &nats.Msg{Subject: subject, Header: nats.Header{HeaderSchema: schemaHeader}, Data: data}
	if err := c.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

// PublishFrame publishes a frame on its camera's frame subject, or a settled frame (Reason
// FrameSettled) on its settled subject.
func (c *Conn) PublishFrame(f Frame) error {
	subject := FrameSubject(f.Camera)
	if f.Reason == FrameSettled {
		subject = SettledFrameSubject(f.Camera)
	}
	msg := &nats.Msg{Subject: subject, Header: nats.Header(f.header()), Data: f.JPEG}
	msg.Header[HeaderSchema] = schemaHeader
	if n := len(f.JPEG) + headerSize(msg.Header); n > MaxPayload {
		return fmt.Errorf("publish %s (%d bytes): %w", subject, n, ErrTooLarge)
	}
	if err := c.nc.PublishMsg(msg); err != nil {
		return fmt.Errorf("publish %s: %w", subject, err)
	}
	return nil
}

func headerSize(h nats.Header) int {
	n := 0
	for k, vs := range h {
		for _, v := range vs {
			n += len(k) + len(v) + 4
		}
	}
	return n
}

// Flush waits until the server has processed everything published so far.
func (c *Conn) Flush() error { return c.nc.Flush() }

// Close drains subscriptions and pending publishes for at most a second, then closes.
func (c *Conn) Close() {
	if err := c.nc.Drain(); err == nil {
		select {
		case <-c.closed:
			return
		case <-time.After(time.Second):
		}
	}
	c.nc.Close()
}
