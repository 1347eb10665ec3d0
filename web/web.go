// Package web serves the narrator's live page, its stream overlay and its caption files over
// HTTP, from files embedded in the binary. A small bridge joins the browser to the bus: the
// page receives events as Server-Sent Events on /events and sends controls as POST
// /api/control, which become the same control requests `narrator ctl` sends (docs/web.md).
package web

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/netaddr"
)

// Defaults of Config.
const (
	// DefaultHistory is how many spoken lines a page opened late receives at once, and the
	// most the page keeps.
	DefaultHistory = 100
	// DefaultSuppressed is how many suppressed descriptions the page receives and keeps.
	DefaultSuppressed = 50
	// DefaultMaxCaptions is how many spoken lines /captions.vtt and /captions.srt keep (the
	// oldest are forgotten and counted beyond it): some 20 hours of steady narration.
	DefaultMaxCaptions = 10000
	// DefaultClientQueue is how many events wait for one slow browser before the oldest is dropped.
	DefaultClientQueue = 256
	// DefaultEventQueue is how many bus events wait for the bridge before the oldest is dropped.
	DefaultEventQueue = 1024
	// DefaultMaxCameras is how many cameras' newest frames are kept (one JPEG each, plus the
	// newest one described).
	DefaultMaxCameras = 16
	// DefaultControlTimeout bounds the wait for a control's acknowledgement.
	DefaultControlTimeout = 10 * time.Second
	// DefaultMaxClients is how many pages may be connected at once; more are refused with 503.
	DefaultMaxClients = 64
)

// Where captions come from (Config.CaptionsFrom).
const (
	// CaptionsFromSpeech captions a line when the speech stage starts saying it: the caption
	// is in step with the voice, and lines never heard (superseded, stale) are not shown.
	CaptionsFromSpeech = "speech"
	// CaptionsFromUtterances captions a line when the narrator decides to say it; for runs
	// without a speech stage (--speech none).
	CaptionsFromUtterances = "utterances"
)

// Config configures a Server.
type Config struct {
	// Conn is the bus connection the bridge subscribes and sends controls on. Required.
	Conn *bus.Conn
	// Addr is the HOST:PORT to listen on; an empty host is 127.0.0.1. Required.
	Addr string
	// Token, when set, must be presented by every browser (?token=, then a cookie, or an
	// Authorization: Bearer header). Required when Addr's host is not loopback.
	Token string
	// CaptionsFrom is CaptionsFromSpeech or CaptionsFromUtterances. Default: CaptionsFromSpeech.
	CaptionsFrom string
	// History is DefaultHistory when zero; Suppressed DefaultSuppressed; MaxCaptions
	// DefaultMaxCaptions; ClientQueue DefaultClientQueue; EventQueue DefaultEventQueue;
	// MaxCameras DefaultMaxCameras; MaxClients DefaultMaxClients; ControlTimeout
	// DefaultControlTimeout.
	History, Suppressed, MaxCaptions, ClientQueue, EventQueue, MaxCameras, MaxClients int
	ControlTimeout                                                                    time.Duration
	// Counters receives the drop counts. Default: a private set.
	Counters *bus.Counters
	// Logger defaults to slog.Default().
	Logger *slog.Logger
	// Now defaults to time.Now (tests set it).
	Now func() time.Time
}

// Server is the web page, overlay and caption files of one run.
type Server struct {
	cfg      Config
	ln       net.Listener
	hub      *hub
	loopback bool
	log      *slog.Logger
	started  time.Time
	handler  http.Handler
}

// ListenAddr checks a --web HOST:PORT and fills in the host: an empty host is loopback.
func ListenAddr(addr string) (string, error) {
	return netaddr.Listen("web", "127.0.0.1:8080", addr)
}

// IsLoopback reports whether the --web address listens on this machine only.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	return err == nil && (host == "" || netaddr.IsLoopback(host))
}

// ErrTokenRequired is returned by New for an address beyond loopback without a token.
var ErrTokenRequired = errors.New("a page beyond loopback needs a token")

// New checks cfg, subscribes to the bus and opens the listener; it fails at once when the port
// is taken. Run serves.
func New(cfg Config) (*Server, error) {
	if cfg.Conn == nil {
		return nil, errors.New("web: no bus connection")
	}
	addr, err := ListenAddr(cfg.Addr)
	if err != nil {
		return nil, err
	}
	loopback := IsLoopback(addr)
	if !loopback && cfg.Token == "" {
		return nil, fmt.Errorf("web address %s: %w: set --web-token (or the bus --token), or listen on 127.0.0.1", addr, ErrTokenRequired)
	}
	switch cfg.CaptionsFrom {
	case "":
		cfg.CaptionsFrom = CaptionsFromSpeech
	case CaptionsFromSpeech, CaptionsFromUtterances:
	default:
		return nil, fmt.Errorf("web: captions from %q: use %s or %s", cfg.CaptionsFrom, CaptionsFromSpeech, CaptionsFromUtterances)
	}
	for _, d := range []struct {
		v   *int
		def int
	}{{&cfg.History, DefaultHistory}, {&cfg.Suppressed, DefaultSuppressed}, {&cfg.MaxCaptions, DefaultMaxCaptions},
		{&cfg.ClientQueue, DefaultClientQueue}, {&cfg.EventQueue, DefaultEventQueue}, {&cfg.MaxCameras, DefaultMaxCameras},
		{&cfg.MaxClients, DefaultMaxClients}} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.ControlTimeout <= 0 {
		cfg.ControlTimeout = DefaultControlTimeout
	}
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	h, err := newHub(cfg)
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		h.close()
		return nil, fmt.Errorf("web: listen on %s: %w", addr, err)
	}
	s := &Server{cfg: cfg, ln: ln, hub: h, loopback: loopback, log: cfg.Logger.With("stage", "web"), started: h.started}
	s.handler = s.routes()
	return s, nil
}

// URL is the page's address.
func (s *Server) URL() string { return "http://" + s.ln.Addr().String() + "/" }

// Loopback reports whether only this machine can reach the page.
func (s *Server) Loopback() bool { return s.loopback }

// Handler is the server's HTTP handler (tests serve it themselves).
func (s *Server) Handler() http.Handler { return s.handler }

// Run serves until ctx ends, then closes every page's stream, shuts the server down and
// returns after every goroutine it started has exited.
func (s *Server) Run(ctx context.Context) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 5 * time.Second,
		BaseContext:       func(net.Listener) context.Context { return ctx }, // ends every page's stream
	}
	var wg sync.WaitGroup
	hubErr := make(chan error, 1)
	wg.Go(func() { hubErr <- s.hub.run(ctx) })
	wg.Go(func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		if srv.Shutdown(sctx) != nil {
			_ = srv.Close() // a connection still busy after 2 s: cut it; Serve reports what matters
		}
	})
	err := srv.Serve(s.ln)
	cancel()
	wg.Wait()
	s.hub.close()
	if herr := <-hubErr; herr != nil {
		return herr
	}
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return fmt.Errorf("web: serve: %w", err)
}
