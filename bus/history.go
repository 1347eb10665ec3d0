package bus

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

// History names and defaults. The recorder copies every recorded event from Prefix to
// HistoryPrefix, where the HistoryStream keeps it; see docs/events.md.
const (
	// HistoryPrefix starts the subjects of recorded events: narrator.v1.X is kept as
	// narrator.history.v1.X, out of the way of narrator.v1.> subscribers.
	HistoryPrefix = "narrator.history.v1"
	// HistoryStream is the JetStream stream of recorded events.
	HistoryStream = "NARRATOR_HISTORY"
	// FramesStream is the JetStream stream of frames, kept only when asked (FrameBytes).
	FramesStream = "NARRATOR_FRAMES"
	// LatestBucket is the JetStream key-value bucket of the newest final description,
	// decision and utterance of each camera, under the keys CAMERA.description,
	// CAMERA.decision and CAMERA.utterance.
	LatestBucket = "narrator_latest"

	// DefaultHistoryAge is how long events are kept.
	DefaultHistoryAge = time.Hour
	// DefaultHistoryBytes caps the events kept; the oldest go first.
	DefaultHistoryBytes = 256 << 20
	// DefaultHistoryQueue is how many events may wait to be written.
	DefaultHistoryQueue = 1024
	// DefaultHistoryCheck is how often the recorder reads the stream's state to count what
	// its limits removed.
	DefaultHistoryCheck = 5 * time.Second
)

// Recorder counters.
const (
	// CounterHistoryRecorded counts events written to the history.
	CounterHistoryRecorded = "history.recorded"
	// CounterHistoryDuplicates counts events another recorder on the same bus had already kept.
	CounterHistoryDuplicates = "history.duplicates"
	// CounterHistoryFailed counts events or latest values that could not be written.
	CounterHistoryFailed = "history.failed"
	// CounterHistoryExpired counts events removed because they were older than MaxAge.
	CounterHistoryExpired = "history.expired"
	// CounterHistoryCapped counts events the byte cap pushed out before they were MaxAge old.
	CounterHistoryCapped = "history.capped.dropped"
)

// Latest kinds: the last token of a LatestBucket key.
const (
	LatestDescription = "description"
	LatestDecision    = "decision"
	LatestUtterance   = "utterance"
)

// ErrNoJetStream is returned when the NATS server has no JetStream, so nothing can be kept.
var ErrNoJetStream = errors.New("the NATS server has no JetStream (start nats-server with -js)")

// ErrNoHistory is returned when the bus has JetStream but no narrator history on it yet.
var ErrNoHistory = errors.New("no narrator history on this bus (is a narrator running with --history?)")

// recorded reports whether the recorder keeps subject's events: descriptions (final only),
// decisions, utterances, speech, cues, and source and worker events.
func recorded(subject string) bool {
	switch subject {
	case SubjectDecisions, SubjectUtterances, SubjectSpeech, SubjectWorkers:
		return true
	}
	kind, _ := SubjectKind(subject)
	return kind == KindDescriptions || kind == KindCues || kind == KindSources
}

// HistorySubject is the subject event subject's events are kept under.
func HistorySubject(subject string) string {
	return HistoryPrefix + strings.TrimPrefix(subject, Prefix)
}

// EventSubject is the event subject a HistorySubject was recorded from.
func EventSubject(historySubject string) string {
	return Prefix + strings.TrimPrefix(historySubject, HistoryPrefix)
}

// RecorderConfig configures a Recorder.
type RecorderConfig struct {
	// MaxAge is how long events are kept. Default: DefaultHistoryAge.
	MaxAge time.Duration
	// MaxBytes caps the events kept; the oldest go first, counted as CounterHistoryCapped.
	// Default: DefaultHistoryBytes.
	MaxBytes int64
	// FrameBytes, when above 0, keeps frames too, in FramesStream, up to this many bytes for at
	// most MaxAge. Default: 0, frames are not kept (an existing FramesStream is deleted).
	FrameBytes int64
	// QueueSize is how many events may wait to be written; more are dropped and counted.
	// Default: DefaultHistoryQueue.
	QueueSize int
	// CheckEvery is how often the stream's state is read to count expired and capped events.
	// Default: DefaultHistoryCheck.
	CheckEvery time.Duration
	// Counters receives the recorder's counters. Default: a private set.
	Counters *Counters
	// Logger. Default: slog.Default().
	Logger *slog.Logger
	// Where names where the history is kept, for the log. Default: "the NATS server".
	Where string
}

// record is one event waiting to be written.
type record struct {
	subject string
	header  nats.Header
	data    []byte
	id      string
	camera  string
	latest  string // a Latest kind, or ""
}

// Recorder keeps the narrator's events in JetStream: every event of the recorded subjects in
// HistoryStream, bounded by age and bytes, and the newest per camera in LatestBucket.
type Recorder struct {
	cfg      RecorderConfig
	ready    chan struct{}
	err      error
	c        *Conn
	js       jetstream.JetStream
	stream   jetstream.Stream
	kv       jetstream.KeyValue
	q        *Queue[record]
	sub      *nats.Subscription
	recorded *Counter
	dups     *Counter
	failed   *Counter
	expired  *Counter
	capped   *Counter

	mu      sync.Mutex
	written []written // what this recorder wrote, oldest first, to tell capped from expired
	first   uint64    // the stream's first sequence at the last check
	warned  bool      // the byte cap's losses were logged once
}

// written is the stream sequence and time of an event this recorder wrote.
type written struct {
	seq uint64
	at  time.Time
}

// maxWritten bounds the record of what was written; older writes are not classified.
const maxWritten = 1 << 16

// NewRecorder subscribes to the recorded subjects on c; events wait in a bounded queue until
// Run has created (or updated) the history stream and the latest bucket on c's server.
func NewRecorder(c *Conn, cfg RecorderConfig) (*Recorder, error) {
	if cfg.MaxAge <= 0 {
		cfg.MaxAge = DefaultHistoryAge
	}
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultHistoryBytes
	}
	if cfg.QueueSize <= 0 {
		cfg.QueueSize = DefaultHistoryQueue
	}
	if cfg.CheckEvery <= 0 {
		cfg.CheckEvery = DefaultHistoryCheck
	}
	if cfg.Counters == nil {
		cfg.Counters = NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Where == "" {
		cfg.Where = "the NATS server"
	}
	r := &Recorder{
		cfg: cfg, c: c, ready: make(chan struct{}),
		recorded: cfg.Counters.Counter(CounterHistoryRecorded),
		dups:     cfg.Counters.Counter(CounterHistoryDuplicates),
		failed:   cfg.Counters.Counter(CounterHistoryFailed),
		expired:  cfg.Counters.Counter(CounterHistoryExpired),
		capped:   cfg.Counters.Counter(CounterHistoryCapped),
	}
	r.q = newQueue[record](QueueConfig{Name: "history", Size: cfg.QueueSize, Policy: DropNewest, Counters: cfg.Counters})
	// One subscription keeps the events in the order the server saw them.
	var err error
	if r.sub, err = c.nc.Subscribe(AllEvents, r.receive); err != nil {
		return nil, fmt.Errorf("history: subscribe %s: %w", AllEvents, err)
	}
	if err := c.nc.Flush(); err != nil {
		r.unsubscribe()
		return nil, fmt.Errorf("history: subscribe %s: %w", AllEvents, err)
	}
	return r, nil
}

// Ready is closed when Run has set up the stream and the bucket, or found it cannot (Err).
func (r *Recorder) Ready() <-chan struct{} { return r.ready }

// Err, once Ready is closed, says why no history is kept (ErrNoJetStream, or what failed), or
// is nil.
func (r *Recorder) Err() error {
	<-r.ready
	return r.err
}

// receive queues one event, leaving out partial descriptions.
func (r *Recorder) receive(m *nats.Msg) {
	if !recorded(m.Subject) {
		return
	}
	var body struct {
		ID      string `json:"id"`
		Camera  string `json:"camera"`
		Partial bool   `json:"partial"`
	}
	if err := json.Unmarshal(m.Data, &body); err != nil {
		r.q.invalid.Add(1)
		r.cfg.Logger.Warn("history: event that is not JSON", "subject", m.Subject, "err", err)
		return
	}
	rec := record{subject: m.Subject, header: m.Header, data: m.Data, id: body.ID, camera: body.Camera}
	switch {
	case isKind(m.Subject, KindDescriptions):
		if body.Partial {
			return
		}
		rec.latest = LatestDescription
	case m.Subject == SubjectDecisions:
		rec.latest = LatestDecision
	case m.Subject == SubjectUtterances:
		rec.latest = LatestUtterance
	}
	r.q.push(rec)
}

func (r *Recorder) unsubscribe() {
	_ = r.sub.Unsubscribe() // fails only when already unsubscribed or on a closed connection
}

// Run sets up the stream and the bucket, then writes the queued events until ctx ends, and
// then what waits (for at most a second). When the server has no JetStream, or the set-up
// fails, it says so once and keeps nothing, without stopping the narrator.
func (r *Recorder) Run(ctx context.Context) error {
	defer r.unsubscribe()
	r.err = r.setup(ctx)
	close(r.ready)
	if r.err != nil {
		r.unsubscribe()
		if errors.Is(r.err, ErrNoJetStream) {
			r.cfg.Logger.Warn("history: " + r.cfg.Where + " has no JetStream (start nats-server with -js): no history is kept, and `narrator history` and the latest descriptions in `narrator ctl status` are unavailable")
		} else if ctx.Err() == nil {
			r.cfg.Logger.Error("history: no history is kept", "err", r.err)
		}
		<-ctx.Done()
		return nil
	}
	r.cfg.Logger.Info(fmt.Sprintf("history: keeping %s of events (at most %d MiB) in %s", r.cfg.MaxAge, r.cfg.MaxBytes>>20, r.cfg.Where))
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(r.cfg.CheckEvery)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
				r.check(ctx)
			}
		}
	}()
	defer wg.Wait()
	healthy := true
	for {
		rec, err := r.q.Next(ctx)
		if err != nil {
			return r.drain()
		}
		// A write in flight finishes (or times out) even when ctx ends.
		if err := r.write(context.Background(), rec); err != nil {
			r.failed.Add(1)
			if healthy {
				r.cfg.Logger.Warn("history: could not keep an event (counted in "+CounterHistoryFailed+")", "subject", rec.subject, "err", err)
			}
			healthy = false
			continue
		}
		healthy = true
	}
}

// drain writes the events still waiting when Run is stopped, for at most a second.
func (r *Recorder) drain() error {
	r.unsubscribe()
	ended, cancel := context.WithCancel(context.Background())
	cancel() // Next returns what waits, then ends
	ctx, stop := context.WithTimeout(context.Background(), time.Second)
	defer stop()
	for ctx.Err() == nil {
		rec, err := r.q.Next(ended)
		if err != nil {
			return nil
		}
		if err := r.write(ctx, rec); err != nil {
			r.failed.Add(1)
		}
	}
	return nil
}

// write keeps one event in the stream and, for the latest kinds, in the bucket.
func (r *Recorder) write(ctx context.Context, rec record) error {
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	m := &nats.Msg{Subject: HistorySubject(rec.subject), Header: nats.Header{}, Data: rec.data}
	for k, v := range rec.header {
		m.Header[k] = v
	}
	var opts []jetstream.PublishOpt
	if rec.id != "" {
		opts = append(opts, jetstream.WithMsgID(rec.subject+" "+rec.id)) // a second recorder's copy is a duplicate
	}
	ack, err := r.js.PublishMsg(ctx, m, opts...)
	if err != nil {
		return fmt.Errorf("write %s: %w", m.Subject, err)
	}
	if ack.Duplicate {
		r.dups.Add(1)
	} else {
		r.recorded.Add(1)
		r.mu.Lock()
		if len(r.written) >= maxWritten {
			r.written = r.written[1:]
		}
		r.written = append(r.written, written{seq: ack.Sequence, at: time.Now()})
		r.mu.Unlock()
	}
	if rec.latest == "" || ValidateCamera(rec.camera) != nil {
		return nil
	}
	if _, err := r.kv.Put(ctx, rec.camera+"."+rec.latest, rec.data); err != nil {
		return fmt.Errorf("put %s latest %s of %s: %w", LatestBucket, rec.latest, rec.camera, err)
	}
	return nil
}

// isKind reports whether subject is a per-camera subject of kind.
func isKind(subject, kind string) bool {
	k, _ := SubjectKind(subject)
	return k == kind
}
