package web

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/url"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/recent"
)

// hub is the bridge: it reads the bus, keeps what a page opened late needs (bounded), and
// pushes each change to every connected page through its own bounded queue.
type hub struct {
	cfg     Config
	log     *slog.Logger
	conn    *bus.Conn
	events  *bus.Queue[bus.Message]
	frames  *bus.Queue[bus.Frame]
	started time.Time
	// clientDropped counts events given up for slow pages.
	clientDropped *bus.Counter
	refresh       chan struct{} // ask the narrator for its state again

	mu         sync.Mutex
	st         status
	haveState  bool                               // a control reply has filled mode, verbosity and paused
	captions   []caption                          // oldest first, at most cfg.History
	suppressed []suppressed                       // oldest first, at most cfg.Suppressed
	descs      *recent.Index[string, description] // the newest final description per camera
	latest     *recent.Index[string, bus.Frame]   // the newest frame per camera
	described  *recent.Index[string, bus.Frame]   // the newest described frame per camera
	priority   *recent.Index[string, string]      // utterance id → priority, for captions from speech
	cues       *cueLog
	clients    map[*client]struct{}
}

// frameQueue is how many frames wait for the bridge (it keeps one per camera); more drop the
// oldest, counted in web.frames.dropped.
const frameQueue = 4

// client is one connected page's stream: preformatted SSE events, oldest dropped when full.
type client struct {
	ch      chan []byte
	dropped uint64 // guarded by hub.mu
}

func newHub(cfg Config) (*hub, error) {
	h := &hub{
		cfg: cfg, log: cfg.Logger.With("stage", "web"), conn: cfg.Conn, started: cfg.Now(),
		clientDropped: cfg.Counters.Counter(bus.CounterWebClientDropped),
		refresh:       make(chan struct{}, 1),
		st:            status{Bus: "connected", Sources: map[string]sourceState{}, Speech: "idle", CaptionsFrom: cfg.CaptionsFrom},
		descs:         recent.New[string, description](cfg.MaxCameras),
		latest:        recent.New[string, bus.Frame](cfg.MaxCameras),
		described:     recent.New[string, bus.Frame](cfg.MaxCameras),
		priority:      recent.New[string, string](256),
		cues:          newCueLog(cfg.MaxCaptions, cfg.Counters.Counter(bus.CounterWebCaptionsDropped)),
		clients:       map[*client]struct{}{},
	}
	// One subscription to every event, so they are read in the order they were published (an
	// utterance before its speech events); a frame's JPEG is not kept by it.
	var err error
	h.events, err = bus.SubscribeRaw(cfg.Conn, bus.AllEvents, bus.QueueConfig{Name: "web.events", Size: cfg.EventQueue, Policy: bus.DropOldest, Counters: cfg.Counters})
	if err != nil {
		return nil, fmt.Errorf("web: %w", err)
	}
	// Frames: only the newest matters; the hub keeps one per camera.
	h.frames, err = bus.SubscribeFrames(cfg.Conn, bus.AllFrames, bus.QueueConfig{Name: "web.frames", Size: frameQueue, Policy: bus.DropOldest, Counters: cfg.Counters})
	if err != nil {
		_ = h.events.Close()
		return nil, fmt.Errorf("web: %w", err)
	}
	if err := cfg.Conn.Flush(); err != nil {
		h.close()
		return nil, fmt.Errorf("web: bus: %w", err)
	}
	return h, nil
}

// close unsubscribes.
func (h *hub) close() {
	_ = h.events.Close() // closing: nothing to do about a failed unsubscribe
	_ = h.frames.Close()
}

// run reads the bus until ctx ends.
func (h *hub) run(ctx context.Context) error {
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			f, err := h.frames.Next(ctx)
			if err != nil {
				return
			}
			h.frame(f)
		}
	})
	wg.Go(func() { h.watchState(ctx) })
	for {
		m, err := h.events.Next(ctx)
		if err != nil {
			break
		}
		h.message(m)
	}
	wg.Wait()
	return nil
}

// watchState follows the bus connection and asks the narrator for its state: at start until
// it answers, then whenever a control may have changed it.
func (h *hub) watchState(ctx context.Context) {
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	var lastAsked time.Time
	for {
		select {
		case <-ctx.Done():
			return
		case <-h.refresh:
			h.askState(ctx)
			lastAsked = time.Now()
		case <-tick.C:
			h.setBus(h.conn.Connected())
			h.mu.Lock()
			have := h.haveState
			h.mu.Unlock()
			if !have && time.Since(lastAsked) >= 2*time.Second {
				h.askState(ctx)
				lastAsked = time.Now()
			}
		}
	}
}

// askState sends a status control; the reply fills mode, verbosity and pause.
func (h *hub) askState(ctx context.Context) {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var rep bus.ControlReply
	c := bus.Control{ID: bus.NewID(), Command: bus.ControlStatus, At: time.Now().UTC()}
	if err := h.conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		h.log.Debug("narrator state not known yet", "err", err)
		return
	}
	h.applyReply(rep)
}

// askStateSoon asks for the narrator's state once the current event is handled.
func (h *hub) askStateSoon() {
	select {
	case h.refresh <- struct{}{}:
	default:
	}
}

// applyReply takes the narrator's state from a control reply.
func (h *hub) applyReply(rep bus.ControlReply) {
	if rep.Mode == "" && rep.Verbosity == "" {
		return // a busy or error reply without state
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.haveState = true
	h.st.Mode, h.st.Verbosity, h.st.Paused = rep.Mode, rep.Verbosity, rep.Paused
	h.st.Prompt = rep.Prompt.Preset
	h.pushStatusLocked()
}

func (h *hub) setBus(up bool) {
	state := "connected"
	if !up {
		state = "disconnected"
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.st.Bus == state {
		return
	}
	h.st.Bus = state
	if up {
		h.log.Info("web: bus connection back")
	} else {
		h.log.Warn("web: bus connection lost; retrying")
	}
	h.pushStatusLocked()
}

// frame keeps the newest frame of its camera, and pins it if a description waits for it.
func (h *hub) frame(f bus.Frame) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.latest.Put(f.Camera, f)
	if d, ok := h.descs.Get(f.Camera); ok && d.FrameID == f.ID && d.FrameURL == "" {
		h.pinLocked(d, f)
	}
}

// pinLocked keeps f as its camera's described frame and tells the pages.
func (h *hub) pinLocked(d description, f bus.Frame) {
	h.described.Put(f.Camera, f)
	d.FrameURL = frameURL(f)
	h.descs.Put(d.Camera, d)
	h.broadcastLocked(evFrame, frameRef{Camera: f.Camera, FrameID: f.ID, DescriptionID: d.ID, URL: d.FrameURL, Width: f.Width, Height: f.Height})
}

func frameURL(f bus.Frame) string {
	return "/frame/" + url.PathEscape(f.Camera) + "?id=" + url.QueryEscape(f.ID)
}

// message handles one bus event.
func (h *hub) message(m bus.Message) {
	kind, camera := bus.SubjectKind(m.Subject)
	switch {
	case kind == bus.KindDescriptions:
		if d, ok := decode[bus.Description](h, m); ok {
			h.description(d)
		}
	case kind == bus.KindSources:
		if e, ok := decode[bus.SourceEvent](h, m); ok {
			h.mu.Lock()
			h.st.Sources[camera] = sourceState{State: e.State, Source: e.Source, Error: e.Error, At: e.At}
			if len(h.st.Sources) > h.cfg.MaxCameras {
				h.forgetOldestSourceLocked()
			}
			h.pushStatusLocked()
			h.mu.Unlock()
		}
	case m.Subject == bus.SubjectDecisions:
		if d, ok := decode[bus.Decision](h, m); ok && d.Action == bus.ActionSuppress {
			h.mu.Lock()
			s := suppressed{ID: d.ID, Camera: d.Camera, Text: d.Text, Reason: d.Reason, At: d.DecidedAt}
			h.suppressed = appendCapped(h.suppressed, s, h.cfg.Suppressed)
			h.broadcastLocked(evSuppressed, s)
			h.mu.Unlock()
		}
	case m.Subject == bus.SubjectUtterances:
		if u, ok := decode[bus.Utterance](h, m); ok {
			h.utterance(u)
		}
	case m.Subject == bus.SubjectSpeech:
		if e, ok := decode[bus.SpeechEvent](h, m); ok {
			h.speech(e)
		}
	case m.Subject == bus.SubjectWorkers:
		if w, ok := decode[bus.WorkerState](h, m); ok {
			h.mu.Lock()
			h.st.Worker, h.st.WorkerReason = w.State, w.Reason
			if w.Model != "" {
				h.st.Model = w.Model
			}
			h.pushStatusLocked()
			h.mu.Unlock()
		}
	case m.Subject == bus.SubjectSpeechControl:
		h.askStateSoon()
	}
}

func (h *hub) forgetOldestSourceLocked() {
	var oldest string
	var at time.Time
	for cam, s := range h.st.Sources {
		if oldest == "" || s.At.Before(at) {
			oldest, at = cam, s.At
		}
	}
	delete(h.st.Sources, oldest)
}

func decode[T any](h *hub, m bus.Message) (T, bool) {
	var v T
	if err := json.Unmarshal(m.Data, &v); err != nil {
		h.log.Debug("web: event not understood", "subject", m.Subject, "err", err)
		return v, false
	}
	return v, true
}

func (h *hub) description(d bus.Description) {
	if bus.ValidateCamera(d.Camera) != nil {
		return
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	latest, haveLatest := h.latest.Get(d.Camera)
	if d.Partial {
		// The model is describing this frame now: keep it before a newer frame replaces it.
		if pinned, ok := h.described.Get(d.Camera); haveLatest && latest.ID == d.FrameID && (!ok || pinned.ID != d.FrameID) {
			h.described.Put(d.Camera, latest)
		}
		return
	}
	v := description{
		ID: d.ID, Camera: d.Camera, FrameID: d.FrameID, Text: d.Text, Backend: d.Backend, Model: d.Model, IsModel: d.IsModel,
		Error: d.Error, Cancelled: d.Cancelled, RequestID: d.RequestID, Reason: d.FrameReason, CapturedAt: d.CapturedAt,
		QueuedMS: ms(d.CapturedAt, d.InferenceStartedAt), FirstTokenMS: ms(d.InferenceStartedAt, d.FirstTokenAt),
		InferenceMS: ms(d.InferenceStartedAt, d.CompletedAt), TotalMS: ms(d.CapturedAt, d.CompletedAt),
	}
	if h.st.Backend != d.Backend || (d.Model != "" && h.st.Model != d.Model) {
		h.st.Backend = d.Backend
		if d.Model != "" {
			h.st.Model = d.Model
		}
		h.pushStatusLocked()
	}
	h.descs.Put(d.Camera, v)
	h.broadcastLocked(evDescription, v)
	if pinned, ok := h.described.Get(d.Camera); ok && pinned.ID == d.FrameID {
		h.pinLocked(v, pinned)
	} else if haveLatest && latest.ID == d.FrameID {
		h.pinLocked(v, latest)
	}
}

// ms is to minus from in milliseconds, or 0 when either is unknown.
func ms(from, to time.Time) float64 {
	if from.IsZero() || to.IsZero() {
		return 0
	}
	return float64(to.Sub(from).Microseconds()) / 1000
}

func (h *hub) utterance(u bus.Utterance) {
	if u.Topic == bus.TopicAck {
		h.askStateSoon() // a control (a key, ctl, this page) may have changed the state
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	h.priority.Put(u.ID, u.Priority)
	if h.cfg.CaptionsFrom != CaptionsFromUtterances {
		return
	}
	at := u.CreatedAt
	if at.IsZero() {
		at = h.cfg.Now()
	}
	h.captionLocked(caption{ID: u.ID, Text: u.Text, Camera: u.Camera, Urgent: u.Priority == bus.PriorityUrgent, Kind: kindOf(u.Kind), Topic: u.Topic, At: at})
}

func kindOf(k string) string {
	if k == "" {
		return bus.KindNarration
	}
	return k
}

func (h *hub) speech(e bus.SpeechEvent) {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.st.SpeechBackend = e.Backend
	switch e.State {
	case bus.SpeechStarted:
		h.st.Speech = "speaking"
		if e.GlassToEarMS > 0 {
			h.st.GlassToEarMS = e.GlassToEarMS
		}
		if h.cfg.CaptionsFrom == CaptionsFromSpeech {
			at := e.SpokenAt
			if at.IsZero() {
				at = e.At
			}
			prio, _ := h.priority.Get(e.UtteranceID)
			h.captionLocked(caption{ID: e.UtteranceID, Text: e.Text, Camera: e.Camera, Urgent: prio == bus.PriorityUrgent, Kind: kindOf(e.Kind), Topic: e.Topic, At: at, GlassToEarMS: e.GlassToEarMS})
		}
	case bus.SpeechFinished, bus.SpeechInterrupted:
		h.st.Speech = "idle"
		h.cues.end(e.UtteranceID, e.At)
	case bus.SpeechDropped:
		h.st.Speech = "idle"
	}
	h.pushStatusLocked()
}

// captionLocked records a spoken line and pushes it.
func (h *hub) captionLocked(c caption) {
	h.captions = appendCapped(h.captions, c, h.cfg.History)
	h.cues.add(c.ID, c.Text, c.At, h.cfg.CaptionsFrom == CaptionsFromSpeech)
	h.broadcastLocked(evCaption, c)
}

// appendCapped appends v, forgetting the oldest beyond limit.
func appendCapped[T any](s []T, v T, limit int) []T {
	s = append(s, v)
	if len(s) > limit {
		n := copy(s, s[len(s)-limit:])
		clear(s[n:])
		s = s[:n]
	}
	return s
}

// describedFrame returns camera's described frame if it is frame id.
func (h *hub) describedFrame(camera, id string) ([]byte, bool) {
	h.mu.Lock()
	defer h.mu.Unlock()
	f, ok := h.described.Get(camera)
	if !ok || f.ID != id {
		return nil, false
	}
	return f.JPEG, true
}
