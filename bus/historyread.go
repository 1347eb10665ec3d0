package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// HistoryQuery selects recorded events.
type HistoryQuery struct {
	// Since is how far back to start; 0 means everything kept.
	Since time.Duration
	// Camera, when set, keeps only events about this camera (worker events have none).
	Camera string
	// Follow keeps reading new events as they are recorded, until ctx ends; otherwise reading
	// stops at the newest event kept when it began.
	Follow bool
}

// HistoryEvent is one recorded event: the message as it was published, with its subject under
// Prefix, and where and when the history stream kept it.
type HistoryEvent struct {
	Message
	Seq uint64
	At  time.Time
}

// ReadHistory calls each with the recorded events q selects, oldest first. It returns
// ErrNoJetStream or ErrNoHistory when the bus keeps no history, and each's error if it fails.
func ReadHistory(ctx context.Context, c *Conn, q HistoryQuery, each func(HistoryEvent) error) error {
	js, err := jetStream(ctx, c)
	if err != nil {
		return err
	}
	stream, err := js.Stream(ctx, HistoryStream)
	if errors.Is(err, jetstream.ErrStreamNotFound) {
		return ErrNoHistory
	}
	if err != nil {
		return fmt.Errorf("history stream %s: %w", HistoryStream, err)
	}
	info, err := stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("history stream %s: %w", HistoryStream, err)
	}
	cfg := jetstream.OrderedConsumerConfig{DeliverPolicy: jetstream.DeliverAllPolicy}
	if q.Since > 0 {
		start := time.Now().Add(-q.Since)
		cfg.DeliverPolicy, cfg.OptStartTime = jetstream.DeliverByStartTimePolicy, &start
		if !q.Follow && (info.State.Msgs == 0 || info.State.LastTime.Before(start)) {
			return nil
		}
	}
	if q.Camera != "" {
		if err := ValidateCamera(q.Camera); err != nil {
			return err
		}
	}
	last := info.State.LastSeq
	if !q.Follow && info.State.Msgs == 0 {
		return nil
	}
	cons, err := stream.OrderedConsumer(ctx, cfg)
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	it, err := cons.Messages()
	if err != nil {
		return fmt.Errorf("read history: %w", err)
	}
	defer it.Stop()
	for {
		m, err := it.Next(jetstream.NextContext(ctx))
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("read history: %w", err)
		}
		meta, err := m.Metadata()
		if err != nil {
			return fmt.Errorf("read history: %w", err)
		}
		ev := HistoryEvent{
			Message: Message{Subject: EventSubject(m.Subject()), Header: m.Headers(), Data: m.Data(), Size: len(m.Data())},
			Seq:     meta.Sequence.Stream,
			At:      meta.Timestamp,
		}
		if q.Camera == "" || eventCamera(ev.Message) == q.Camera {
			if err := each(ev); err != nil {
				return err
			}
		}
		if !q.Follow && meta.Sequence.Stream >= last {
			return nil
		}
	}
}

// eventCamera is the camera an event is about: its subject's last token for per-camera
// subjects, else its body's camera field.
func eventCamera(m Message) string {
	if _, camera := SubjectKind(m.Subject); camera != "" {
		return camera
	}
	var body struct {
		Camera string `json:"camera"`
	}
	_ = json.Unmarshal(m.Data, &body)
	return body.Camera
}

// Latest is the newest final description, decision and utterance of one camera, from the
// LatestBucket.
type Latest struct {
	Camera      string       `json:"camera"`
	Description *Description `json:"description,omitempty"`
	Decision    *Decision    `json:"decision,omitempty"`
	Utterance   *Utterance   `json:"utterance,omitempty"`
}

// ReadLatest returns the newest final description, decision and utterance of every camera,
// ordered by camera name. It returns ErrNoJetStream or ErrNoHistory when the bus keeps none.
func ReadLatest(ctx context.Context, c *Conn) ([]Latest, error) {
	js, err := jetStream(ctx, c)
	if err != nil {
		return nil, err
	}
	kv, err := js.KeyValue(ctx, LatestBucket)
	if errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, ErrNoHistory
	}
	if err != nil {
		return nil, fmt.Errorf("latest bucket %s: %w", LatestBucket, err)
	}
	keys, err := kv.ListKeys(ctx)
	if err != nil {
		return nil, fmt.Errorf("latest bucket %s: %w", LatestBucket, err)
	}
	byCamera := map[string]*Latest{}
	for key := range keys.Keys() {
		camera, kind, ok := strings.Cut(key, ".")
		if !ok {
			continue
		}
		e, err := kv.Get(ctx, key)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("latest %s: %w", key, err)
		}
		l := byCamera[camera]
		if l == nil {
			l = &Latest{Camera: camera}
			byCamera[camera] = l
		}
		var target any
		switch kind {
		case LatestDescription:
			l.Description = new(Description)
			target = l.Description
		case LatestDecision:
			l.Decision = new(Decision)
			target = l.Decision
		case LatestUtterance:
			l.Utterance = new(Utterance)
			target = l.Utterance
		default:
			continue
		}
		if err := json.Unmarshal(e.Value(), target); err != nil {
			return nil, fmt.Errorf("latest %s: %w", key, err)
		}
	}
	out := make([]Latest, 0, len(byCamera))
	for _, l := range byCamera {
		out = append(out, *l)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Camera < out[j].Camera })
	return out, nil
}
