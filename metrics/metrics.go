// Package metrics serves Prometheus metrics about how fast the narrator reacts and what it
// drops. It subscribes to the bus like any other program, so it sees the events of every
// process on the bus (frames, descriptions, decisions, speech, worker states), and it reads the
// counters of its own process (bus.Counters) when it is scraped.
package metrics

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/netaddr"
)

// Latency stages, the values of the stage label of narrator_latency_seconds.
const (
	// StageCaptureToInference is from a frame's capture to the start of its inference: dedup,
	// encoding, the bus, and waiting for the model.
	StageCaptureToInference = "capture_to_inference"
	// StageFirstToken is from the start of an inference to its first token.
	StageFirstToken = "first_token"
	// StageInference is from the start of an inference to its end (finished descriptions only).
	StageInference = "inference"
	// StageGlassToEar is from a frame's capture to the start of the audio describing it.
	StageGlassToEar = "glass_to_ear"
)

// LatencyBuckets are the bucket bounds of the latency histograms, in seconds.
var LatencyBuckets = []float64{.005, .01, .025, .05, .1, .15, .2, .25, .35, .5, .75, 1, 1.25, 1.5, 2, 3, 5, 8, 13, 20, 30}

// droppedFrames maps the counters that count frames given up to the reason label of
// narrator_frames_dropped_total.
var droppedFrames = map[string]string{
	bus.CounterCaptureFramesUnchanged:  "unchanged",
	bus.CounterCaptureFramesSuperseded: "superseded",
	bus.CounterCaptureFramesStale:      "stale",
	bus.CounterCaptureFramesInvalid:    "invalid",
	bus.CounterCaptureFramesFailed:     "failed",
	bus.CounterInferenceFramesDropped:  "model_busy",
}

// Config configures the metrics subscriber.
type Config struct {
	// Counters are the process's counters, read at every scrape. Default: none.
	Counters *bus.Counters
	// Logger is where it logs. Default: slog.Default().
	Logger *slog.Logger
}

// Metrics turns bus events into Prometheus metrics.
type Metrics struct {
	cfg      Config
	events   *bus.Queue[bus.Message]
	registry *prometheus.Registry

	latency     *prometheus.HistogramVec
	frames      *prometheus.CounterVec
	inferences  *prometheus.CounterVec
	spoken      prometheus.Counter
	interrupted prometheus.Counter
	suppressed  *prometheus.CounterVec
	dropped     *prometheus.CounterVec
	restarts    *prometheus.CounterVec
	invalid     prometheus.Counter
}

// New subscribes to every narrator event on conn and registers the metrics. The subscription
// starts buffering at once.
func New(conn *bus.Conn, cfg Config) (*Metrics, error) {
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("stage", "metrics")
	internal := cfg.Counters
	if internal == nil {
		internal = bus.NewCounters()
	}
	events, err := bus.SubscribeRaw(conn, bus.AllEvents, bus.QueueConfig{
		Name: "metrics.events", Size: 1024, Policy: bus.DropOldest, Counters: internal,
	})
	if err != nil {
		return nil, fmt.Errorf("metrics: %w", err)
	}
	m := &Metrics{
		cfg: cfg, events: events, registry: prometheus.NewRegistry(),
		latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "narrator_latency_seconds", Buckets: LatencyBuckets,
			Help: "Latency of each stage, from event timestamps: capture_to_inference, first_token, inference, glass_to_ear.",
		}, []string{"stage"}),
		frames: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "narrator_frames_total", Help: "Frames published on the bus, by camera and why they were sent (first, changed, heartbeat).",
		}, []string{"camera", "reason"}),
		inferences: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "narrator_inferences_total", Help: "Finished inferences by backend and outcome: described, failed, cancelled.",
		}, []string{"backend", "outcome"}),
		spoken: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "narrator_utterances_spoken_total", Help: "Utterances whose audio started.",
		}),
		interrupted: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "narrator_utterances_interrupted_total", Help: "Utterances silenced before they finished.",
		}),
		suppressed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "narrator_utterances_suppressed_total", Help: "Final descriptions the narrator chose not to say, by reason.",
		}, []string{"reason"}),
		dropped: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "narrator_utterances_dropped_total", Help: "Utterances the speech stage dropped unsaid, by reason.",
		}, []string{"reason"}),
		restarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "narrator_worker_restarts_total", Help: "Model worker restarts seen on the bus, by backend and cause.",
		}, []string{"backend", "code"}),
		invalid: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "narrator_metrics_events_invalid_total", Help: "Bus events the metrics subscriber could not decode.",
		}),
	}
	m.registry.MustRegister(m.latency, m.frames, m.inferences, m.spoken, m.interrupted, m.suppressed,
		m.dropped, m.restarts, m.invalid,
		countersCollector{process: cfg.Counters, internal: internal},
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return m, nil
}

// Registry is the registry the metrics are in, for tests and for embedding in another server.
func (m *Metrics) Registry() *prometheus.Registry { return m.registry }

// Handler serves the metrics in the Prometheus exposition format.
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.registry, promhttp.HandlerOpts{ErrorLog: slog.NewLogLogger(m.cfg.Logger.Handler(), slog.LevelWarn)})
}

// Run turns events into metrics until ctx ends.
func (m *Metrics) Run(ctx context.Context) error {
	defer func() { _ = m.events.Close() }()
	for {
		msg, err := m.events.Next(ctx)
		if err != nil {
			return nil
		}
		if err := m.observe(msg); err != nil {
			m.invalid.Inc()
			m.cfg.Logger.Debug("event not understood", "subject", msg.Subject, "err", err)
		}
	}
}

// observe updates the metrics with one event.
func (m *Metrics) observe(msg bus.Message) error {
	kind, _ := bus.SubjectKind(msg.Subject)
	switch {
	case kind == bus.KindFrames:
		f, err := msg.Frame, msg.FrameErr
		if err != nil {
			return err
		}
		m.frames.WithLabelValues(f.Camera, f.Reason).Inc()
	case kind == bus.KindDescriptions:
		var d bus.Description
		if err := json.Unmarshal(msg.Data, &d); err != nil {
			return err
		}
		m.description(d)
	case msg.Subject == bus.SubjectDecisions:
		var d bus.Decision
		if err := json.Unmarshal(msg.Data, &d); err != nil {
			return err
		}
		if d.Action == bus.ActionSuppress {
			m.suppressed.WithLabelValues(d.Reason).Inc()
		}
	case msg.Subject == bus.SubjectSpeech:
		var e bus.SpeechEvent
		if err := json.Unmarshal(msg.Data, &e); err != nil {
			return err
		}
		m.speech(e)
	case msg.Subject == bus.SubjectWorkers:
		var w bus.WorkerState
		if err := json.Unmarshal(msg.Data, &w); err != nil {
			return err
		}
		if w.State == bus.WorkerRestarting {
			m.restarts.WithLabelValues(w.Backend, w.Code).Inc()
		}
	}
	return nil
}

// description records a final description's outcome and latencies; partials are skipped.
func (m *Metrics) description(d bus.Description) {
	if d.Partial {
		return
	}
	outcome := "described"
	switch {
	case d.Cancelled != "":
		outcome = "cancelled"
	case d.Error != "":
		outcome = "failed"
	}
	m.inferences.WithLabelValues(d.Backend, outcome).Inc()
	m.observeSpan(StageCaptureToInference, d.CapturedAt, d.InferenceStartedAt)
	m.observeSpan(StageFirstToken, d.InferenceStartedAt, d.FirstTokenAt)
	if outcome == "described" {
		m.observeSpan(StageInference, d.InferenceStartedAt, d.CompletedAt)
	}
}

func (m *Metrics) speech(e bus.SpeechEvent) {
	switch e.State {
	case bus.SpeechStarted:
		m.spoken.Inc()
		spoken := e.SpokenAt
		if spoken.IsZero() {
			spoken = e.At
		}
		m.observeSpan(StageGlassToEar, e.CapturedAt, spoken)
	case bus.SpeechInterrupted:
		m.interrupted.Inc()
	case bus.SpeechDropped:
		m.dropped.WithLabelValues(e.Reason).Inc()
	}
}

// observeSpan observes to−from when both are set and the span is not negative (clocks of two
// machines may disagree; such a span is not a latency).
func (m *Metrics) observeSpan(stage string, from, to time.Time) {
	if from.IsZero() || to.IsZero() || to.Before(from) {
		return
	}
	m.latency.WithLabelValues(stage).Observe(to.Sub(from).Seconds())
}

// countersCollector exposes bus.Counters at scrape time: every counter of the process as
// narrator_counter_total{name}, and the frame drops as narrator_frames_dropped_total{reason}.
type countersCollector struct {
	process  *bus.Counters // may be nil
	internal *bus.Counters // the subscriber's own
}

var (
	counterDesc = prometheus.NewDesc("narrator_counter_total",
		"Every counter of this process (bus.Counters), by name: frames read and dropped, inferences, cancellations, worker restarts, utterances.", []string{"name"}, nil)
	framesReadDesc = prometheus.NewDesc("narrator_frames_read_total",
		"Frames this process read from its sources.", nil, nil)
	framesDroppedDesc = prometheus.NewDesc("narrator_frames_dropped_total",
		"Frames this process gave up, by reason: unchanged (dedup), superseded (a newer frame replaced it), stale, invalid, failed, model_busy (replaced while the model was busy).", []string{"reason"}, nil)
	cameraFramesDesc = prometheus.NewDesc("narrator_inference_camera_frames_total",
		"Frames the inference stage of this process took, by camera and outcome: sent (taken), described, superseded (a newer frame of the same camera replaced it), dropped (stale, failed, or no room).", []string{"camera", "outcome"}, nil)
)

// Describe sends the fixed descriptors; the set of counter names grows at run time.
func (c countersCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- counterDesc
	ch <- framesReadDesc
	ch <- framesDroppedDesc
	ch <- cameraFramesDesc
}

// Collect reads the counters.
func (c countersCollector) Collect(ch chan<- prometheus.Metric) {
	all := c.internal.Snapshot()
	if c.process != nil {
		for name, v := range c.process.Snapshot() {
			all[name] = v
		}
	}
	for name, v := range all {
		ch <- prometheus.MustNewConstMetric(counterDesc, prometheus.CounterValue, float64(v), name)
	}
	if c.process == nil {
		return
	}
	snap := c.process.Snapshot()
	ch <- prometheus.MustNewConstMetric(framesReadDesc, prometheus.CounterValue, float64(snap[bus.CounterCaptureFramesRead]))
	for name, reason := range droppedFrames {
		ch <- prometheus.MustNewConstMetric(framesDroppedDesc, prometheus.CounterValue, float64(snap[name]), reason)
	}
	for name, v := range snap {
		if camera, outcome, ok := bus.ParseInferenceCameraCounter(name); ok {
			ch <- prometheus.MustNewConstMetric(cameraFramesDesc, prometheus.CounterValue, float64(v), camera, outcome)
		}
	}
}

// ListenAddr checks a --metrics HOST:PORT and fills in the host: an empty host is loopback.
// A host beyond loopback is used only because it was named.
func ListenAddr(addr string) (string, error) {
	return netaddr.Listen("metrics", "127.0.0.1:9464", addr)
}

// Server serves a Metrics' Handler on /metrics.
type Server struct {
	metrics *Metrics
	ln      net.Listener
	log     *slog.Logger
}

// Listen opens addr (see ListenAddr) for m. It fails at once when the port is taken.
func Listen(m *Metrics, addr string) (*Server, error) {
	addr, err := ListenAddr(addr)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("metrics: listen on %s: %w", addr, err)
	}
	return &Server{metrics: m, ln: ln, log: m.cfg.Logger}, nil
}

// URL is where the metrics are served.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/metrics" }

// Run serves until ctx ends, then shuts the server down and returns.
func (s *Server) Run(ctx context.Context) error {
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.metrics.Handler())
	srv := &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx) // shutting down; Serve reports what matters
	})
	err := srv.Serve(s.ln)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("metrics: serve: %w", err)
}
