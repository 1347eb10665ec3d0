package bus

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// The work queue: with pull, inference hosts take frames from a JetStream work-queue stream
// when they are free instead of being handed them by the queue group. See docs/scale-out.md.
const (
	// WorkStream is the JetStream work-queue stream of frames waiting to be described. It
	// keeps one frame per camera (a newer frame of the camera replaces the waiting one), in
	// memory, for at most DefaultWorkKeep, and each frame until one host acknowledges it.
	WorkStream = "NARRATOR_WORK"
	// WorkConsumer is the durable pull consumer every inference host shares.
	WorkConsumer = "narrator-inference"

	// DefaultWorkKeep is how long the stream keeps a frame nobody took. Hosts enforce their
	// own --max-age on what they take, so a frame that waited too long is counted stale by a
	// host, not removed unseen; this only bounds what an idle bus holds.
	DefaultWorkKeep = 30 * time.Second
	// DefaultWorkAckWait is how long a host may go silent on a frame before the server hands it
	// to another host. A host that works on a frame says so every DefaultWorkAckWait/4, so a
	// long generation is not redelivered; a host killed mid-request is.
	DefaultWorkAckWait = 4 * time.Second
	// DefaultWorkMaxDeliver is how many times a frame is handed out at most.
	DefaultWorkMaxDeliver = 4
	// workMaxMsgs and workMaxBytes cap the stream: one frame per camera, 1024 cameras, 16 MiB
	// (the embedded server gives JetStream 64 MiB of memory).
	workMaxMsgs  = 1024
	workMaxBytes = 16 << 20
)

// ErrWorkConflict is returned when another stream already keeps the frames (the history's
// FramesStream, --history-frames), which a work-queue stream cannot share.
var ErrWorkConflict = errors.New("another JetStream stream already keeps the frame subjects (is --history-frames on?); pull needs them for its work queue")

// WorkFrame is a frame taken from the work queue. The host acknowledges it when done (Done),
// says it still works on it (Working), or gives it back (Release).
type WorkFrame struct {
	Frame
	// Delivered is how often the server has handed this frame out, 1 the first time; more
	// means a host took it before and went silent (it died, or lost the bus).
	Delivered uint64
	msg       jetstream.Msg
}

// Done acknowledges the frame: it leaves the queue for good.
func (w WorkFrame) Done() error { return w.msg.Ack() }

// Working tells the server the host still works on the frame, restarting its ack wait.
func (w WorkFrame) Working() error { return w.msg.InProgress() }

// Release gives the frame back at once, for another host (or this one) to take.
func (w WorkFrame) Release() error { return w.msg.Nak() }

// WorkQueue is an inference host's handle on the work queue.
type WorkQueue struct {
	cons    jetstream.Consumer
	invalid *Counter
	log     func(msg string, args ...any)
}

// WorkConfig configures OpenWork.
type WorkConfig struct {
	// AckWait is how long a host may go silent on a frame before it is redelivered. Default:
	// DefaultWorkAckWait.
	AckWait time.Duration
	// Counters receives inference.work.invalid (frames that did not decode). Default: a
	// private set.
	Counters *Counters
}

// OpenWork creates or joins the work-queue stream and its shared pull consumer. Capture goes
// on publishing frames as always: the stream takes them from the frame subjects. It fails with
// ErrNoJetStream when the server has no JetStream, ErrWorkConflict when another stream keeps
// the frames.
func OpenWork(ctx context.Context, c *Conn, cfg WorkConfig) (*WorkQueue, error) {
	if cfg.AckWait <= 0 {
		cfg.AckWait = DefaultWorkAckWait
	}
	if cfg.Counters == nil {
		cfg.Counters = NewCounters()
	}
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	js, err := jetStream(ctx, c)
	if err != nil {
		return nil, err
	}
	stream, err := js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:              WorkStream,
		Description:       "narrator frames waiting for an inference host: one per camera, newest wins",
		Subjects:          []string{AllFrames},
		Retention:         jetstream.WorkQueuePolicy,
		Storage:           jetstream.MemoryStorage,
		Discard:           jetstream.DiscardOld,
		MaxMsgsPerSubject: 1,
		MaxMsgs:           workMaxMsgs,
		MaxBytes:          workMaxBytes,
		MaxAge:            DefaultWorkKeep,
		MaxMsgSize:        MaxPayload + 4096,
	})
	if err != nil && strings.Contains(err.Error(), "overlap") {
		return nil, fmt.Errorf("work queue %s: %w", WorkStream, ErrWorkConflict)
	}
	if err != nil {
		// hosts starting together race to create it: join the one another host made
		existing, lookErr := js.Stream(ctx, WorkStream)
		if lookErr != nil {
			return nil, fmt.Errorf("work queue %s: %w", WorkStream, err)
		}
		stream = existing
	}
	cons, err := stream.CreateOrUpdateConsumer(ctx, jetstream.ConsumerConfig{
		Durable:       WorkConsumer,
		Description:   "inference hosts: each takes a frame when it is free",
		AckPolicy:     jetstream.AckExplicitPolicy,
		AckWait:       cfg.AckWait,
		MaxDeliver:    DefaultWorkMaxDeliver,
		MaxAckPending: -1,
	})
	if err != nil {
		return nil, fmt.Errorf("work queue consumer %s: %w", WorkConsumer, err)
	}
	return &WorkQueue{cons: cons, invalid: cfg.Counters.Counter(CounterInferenceWorkInvalid),
		log: c.log.Warn}, nil
}

// Next waits for a frame until ctx ends. Call it only when free to describe: the frame is this
// host's until it is Done or its ack wait passes in silence.
func (q *WorkQueue) Next(ctx context.Context) (WorkFrame, error) {
	for {
		if err := ctx.Err(); err != nil {
			return WorkFrame{}, err
		}
		fctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		msg, err := q.cons.Next(jetstream.FetchContext(fctx))
		cancel()
		if err != nil {
			if ctx.Err() != nil {
				return WorkFrame{}, ctx.Err()
			}
			if errors.Is(err, nats.ErrTimeout) || errors.Is(err, context.DeadlineExceeded) || errors.Is(err, jetstream.ErrNoMessages) {
				continue
			}
			// the bus is reconnecting, or the server lost the stream: wait a moment, ask again
			q.log("work queue: fetch failed", "err", err)
			select {
			case <-ctx.Done():
			case <-time.After(500 * time.Millisecond):
			}
			continue
		}
		f, err := DecodeFrame(msg.Headers(), msg.Data())
		if err != nil {
			q.invalid.Add(1)
			q.log("work queue: dropped undecodable frame", "subject", msg.Subject(), "err", err)
			_ = msg.Term()
			continue
		}
		w := WorkFrame{Frame: f, msg: msg, Delivered: 1}
		if md, err := msg.Metadata(); err == nil {
			w.Delivered = md.NumDelivered
		}
		return w, nil
	}
}
