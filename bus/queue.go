package bus

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"

	"github.com/nats-io/nats.go"
)

// DropPolicy says which message a full Queue gives up.
type DropPolicy int

const (
	// DropOldest discards the oldest waiting message: the newest always wins (frames, utterances).
	DropOldest DropPolicy = iota
	// DropNewest discards the incoming message and keeps what waits (ordered event logs).
	DropNewest
)

// QueueConfig configures a subscription's queue.
type QueueConfig struct {
	// Name prefixes the queue's counters: NAME.dropped and NAME.invalid. Required.
	Name string
	// Size is how many messages may wait. Default: 1 (latest wins).
	Size int
	// Policy is what a full queue drops. Default: DropOldest.
	Policy DropPolicy
	// Group, when set, joins a NATS queue group so each message goes to one member only.
	Group string
	// Counters receives the drop and decode-error counts. Default: a private set.
	Counters *Counters

	// onDrop, when set, is told of each message the full queue drops (requests answer "busy").
	onDrop func(dropped any)
}

// Queue is a bounded buffer between a subscription and the goroutine that reads it. It never
// blocks the bus: when full it drops by its policy and counts the drop; messages that do not
// decode are counted as invalid and logged.
type Queue[T any] struct {
	mu      sync.Mutex
	items   []T
	size    int
	policy  DropPolicy
	ready   chan struct{}
	onDrop  func(any)
	dropped *Counter
	invalid *Counter
	sub     *nats.Subscription
}

func newQueue[T any](cfg QueueConfig) *Queue[T] {
	if cfg.Size <= 0 {
		cfg.Size = 1
	}
	if cfg.Counters == nil {
		cfg.Counters = NewCounters()
	}
	return &Queue[T]{
		size:    cfg.Size,
		policy:  cfg.Policy,
		ready:   make(chan struct{}, 1),
		onDrop:  cfg.onDrop,
		dropped: cfg.Counters.Counter(cfg.Name + ".dropped"),
		invalid: cfg.Counters.Counter(cfg.Name + ".invalid"),
	}
}

// push adds v, dropping by policy when full.
func (q *Queue[T]) push(v T) {
	q.mu.Lock()
	if len(q.items) >= q.size {
		q.dropped.Add(1)
		if q.policy == DropNewest {
			q.mu.Unlock()
			q.tellDropped(v)
			return
		}
		old := q.items[0]
		var zero T
		q.items[0] = zero
		q.items = q.items[1:]
		defer q.tellDropped(old)
	}
	q.items = append(q.items, v)
	q.mu.Unlock()
	select {
	case q.ready <- struct{}{}:
	default:
	}
}

func (q *Queue[T]) tellDropped(v T) {
	if q.onDrop != nil {
		q.onDrop(v)
	}
}

// Next returns the oldest waiting message, blocking until one arrives or ctx ends.
func (q *Queue[T]) Next(ctx context.Context) (T, error) {
	for {
		q.mu.Lock()
		if len(q.items) > 0 {
			v := q.items[0]
			var zero T
			q.items[0] = zero
			q.items = q.items[1:]
			more := len(q.items) > 0
			q.mu.Unlock()
			if more {
				select {
				case q.ready <- struct{}{}:
				default:
				}
			}
			return v, nil
		}
		q.mu.Unlock()
		select {
		case <-ctx.Done():
			var zero T
			return zero, ctx.Err()
		case <-q.ready:
		}
	}
}

// Dropped is how many messages the queue discarded because it was full.
func (q *Queue[T]) Dropped() uint64 { return q.dropped.Load() }

// Invalid is how many messages did not decode.
func (q *Queue[T]) Invalid() uint64 { return q.invalid.Load() }

// Close unsubscribes. Messages already waiting can still be read.
func (q *Queue[T]) Close() error { return q.sub.Unsubscribe() }

// subscribe wires a NATS subscription to a new queue through decode.
func subscribe[T any](c *Conn, subject string, cfg QueueConfig, decode func(*nats.Msg) (T, error)) (*Queue[T], error) {
	if cfg.Name == "" {
		return nil, fmt.Errorf("subscribe %s: queue needs a name", subject)
	}
	q := newQueue[T](cfg)
	handler := func(m *nats.Msg) {
		v, err := decode(m)
		if err != nil {
			q.invalid.Add(1)
			c.log.Warn("dropped undecodable message", "subject", m.Subject, "err", err)
			return
		}
		q.push(v)
	}
	var err error
	if cfg.Group != "" {
		q.sub, err = c.nc.QueueSubscribe(subject, cfg.Group, handler)
	} else {
		q.sub, err = c.nc.Subscribe(subject, handler)
	}
	if err != nil {
		return nil, fmt.Errorf("subscribe %s: %w", subject, err)
	}
	return q, nil
}

// SubscribeFrames subscribes to frames on subject (FrameSubject or AllFrames).
func SubscribeFrames(c *Conn, subject string, cfg QueueConfig) (*Queue[Frame], error) {
	return subscribe(c, subject, cfg, func(m *nats.Msg) (Frame, error) {
		return DecodeFrame(m.Header, m.Data)
	})
}

// SubscribeEvents subscribes to JSON events of type T on subject.
func SubscribeEvents[T any](c *Conn, subject string, cfg QueueConfig) (*Queue[T], error) {
	return subscribe(c, subject, cfg, func(m *nats.Msg) (T, error) {
		var v T
		if err := json.Unmarshal(m.Data, &v); err != nil {
			return v, fmt.Errorf("decode %s: %w", m.Subject, err)
		}
		return v, nil
	})
}

// Message is a raw bus message, for tools that watch every event. A frame's JPEG is not kept:
// a queue of messages holds at most their metadata, never a megabyte of pixels each.
type Message struct {
	Subject string
	Header  map[string][]string
	Data    []byte // the payload; nil for frames
	Size    int    // the payload's size in bytes
	// Frame is, on a frame subject, the frame's metadata (its JPEG left out); FrameErr says
	// why it did not decode.
	Frame    Frame
	FrameErr error
}

// SubscribeRaw subscribes to raw messages on subject.
func SubscribeRaw(c *Conn, subject string, cfg QueueConfig) (*Queue[Message], error) {
	return subscribe(c, subject, cfg, func(m *nats.Msg) (Message, error) {
		msg := Message{Subject: m.Subject, Header: m.Header, Data: m.Data, Size: len(m.Data)}
		if IsFrameSubject(m.Subject) || IsSettledFrameSubject(m.Subject) {
			msg.Frame, msg.FrameErr = DecodeFrame(m.Header, m.Data)
			msg.Frame.JPEG, msg.Data = nil, nil
		}
		return msg, nil
	})
}
