package bus

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// setup creates or updates the history stream, the frames stream and the latest bucket.
func (r *Recorder) setup(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	js, err := jetStream(ctx, r.c)
	if err != nil {
		return err
	}
	r.js = js
	cfg := r.cfg
	r.stream, err = js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        HistoryStream,
		Description: "narrator events: final descriptions, decisions, utterances, speech, cues, source and worker events",
		Subjects:    []string{HistoryPrefix + ".>"},
		Storage:     jetstream.FileStorage,
		Retention:   jetstream.LimitsPolicy,
		Discard:     jetstream.DiscardOld,
		MaxAge:      cfg.MaxAge,
		MaxBytes:    cfg.MaxBytes,
		MaxMsgSize:  MaxPayload,
		Duplicates:  min(2*time.Minute, cfg.MaxAge),
		AllowDirect: true,
	})
	if err != nil {
		return fmt.Errorf("history stream %s: %w", HistoryStream, err)
	}
	if err := r.frames(ctx); err != nil {
		return err
	}
	r.kv, err = js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:       LatestBucket,
		Description:  "the newest final description, decision and utterance of each camera",
		History:      1,
		Storage:      jetstream.FileStorage,
		MaxBytes:     64 << 20,
		MaxValueSize: MaxPayload,
	})
	if err != nil {
		return fmt.Errorf("latest bucket %s: %w", LatestBucket, err)
	}
	info, err := r.stream.Info(ctx)
	if err != nil {
		return fmt.Errorf("history stream %s: %w", HistoryStream, err)
	}
	r.first = firstKept(info.State)
	return nil
}

// jetStream returns c's JetStream context, or ErrNoJetStream.
func jetStream(ctx context.Context, c *Conn) (jetstream.JetStream, error) {
	js, err := jetstream.New(c.nc)
	if err != nil {
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	if _, err := js.AccountInfo(ctx); err != nil {
		if errors.Is(err, jetstream.ErrJetStreamNotEnabled) || errors.Is(err, jetstream.ErrJetStreamNotEnabledForAccount) || errors.Is(err, nats.ErrNoResponders) {
			return nil, ErrNoJetStream
		}
		return nil, fmt.Errorf("jetstream: %w", err)
	}
	return js, nil
}

// frames creates the frames stream when frames are kept, and deletes it when they are not.
func (r *Recorder) frames(ctx context.Context) error {
	if r.cfg.FrameBytes <= 0 {
		if err := r.js.DeleteStream(ctx, FramesStream); err == nil {
			r.cfg.Logger.Info("history: frames are no longer kept; deleted the " + FramesStream + " stream")
		} else if !errors.Is(err, jetstream.ErrStreamNotFound) {
			return fmt.Errorf("delete frames stream %s: %w", FramesStream, err)
		}
		return nil
	}
	_, err := r.js.CreateOrUpdateStream(ctx, jetstream.StreamConfig{
		Name:        FramesStream,
		Description: "narrator frames (JPEG, metadata in headers)",
		Subjects:    []string{AllFrames},
		Storage:     jetstream.FileStorage,
		Discard:     jetstream.DiscardOld,
		MaxAge:      r.cfg.MaxAge,
		MaxBytes:    r.cfg.FrameBytes,
		MaxMsgSize:  MaxPayload + 4096,
	})
	if err != nil {
		return fmt.Errorf("frames stream %s: %w", FramesStream, err)
	}
	return nil
}

// check reads the stream's first sequence and counts what its limits removed since the last
// check: events this recorder wrote less than MaxAge ago were pushed out by the byte cap
// (capped, a loss); the rest had expired.
func (r *Recorder) check(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	info, err := r.stream.Info(ctx)
	if err != nil {
		if ctx.Err() == nil {
			r.cfg.Logger.Debug("history: read stream state", "err", err)
		}
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	first := firstKept(info.State)
	if first <= r.first {
		return
	}
	removed := first - r.first
	r.first = first
	now := time.Now()
	var capped uint64
	n := 0
	for n < len(r.written) && r.written[n].seq < first {
		if now.Sub(r.written[n].at) < r.cfg.MaxAge {
			capped++
		}
		n++
	}
	r.written = r.written[n:]
	r.capped.Add(capped)
	r.expired.Add(removed - min(capped, removed))
	if capped > 0 && !r.warned {
		r.warned = true
		r.cfg.Logger.Warn(fmt.Sprintf("history: the byte cap pushed out %d events younger than %s; raise the cap to keep them (further losses are counted in %s)", capped, r.cfg.MaxAge, CounterHistoryCapped))
	}
}

// firstKept is the sequence of the first event a stream keeps, or of the next one when it
// keeps none.
func firstKept(s jetstream.StreamState) uint64 {
	if s.Msgs == 0 {
		return s.LastSeq + 1
	}
	return s.FirstSeq
}
