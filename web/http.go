package web

import (
	"context"
	"crypto/subtle"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/netaddr"
)

//go:embed assets
var assets embed.FS

// tokenCookie carries the token after a page was opened with ?token=.
const tokenCookie = "narrator_web_token"

// pingEvery keeps idle streams open through proxies and notices closed pages; writeTimeout
// lets a page go that stopped reading.
const (
	pingEvery    = 15 * time.Second
	writeTimeout = 10 * time.Second
)

func (s *Server) routes() http.Handler {
	static, _ := fs.Sub(assets, "assets") // the directory is embedded above
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServerFS(static)))
	mux.HandleFunc("GET /{$}", s.file(static, "index.html"))
	mux.HandleFunc("GET /overlay", s.file(static, "overlay.html"))
	mux.HandleFunc("GET /events", s.events)
	mux.HandleFunc("GET /api/snapshot", s.snapshot)
	mux.HandleFunc("POST /api/control", s.control)
	mux.HandleFunc("GET /frame/{camera}", s.frame)
	mux.HandleFunc("GET /captions.vtt", s.captions("text/vtt; charset=utf-8", true))
	mux.HandleFunc("GET /captions.srt", s.captions("application/x-subrip; charset=utf-8", false))
	return s.guard(mux)
}

// guard applies to every request: a loopback page answers only to loopback host names (no DNS
// rebinding), a token when one is set, and headers that keep the page to itself.
func (s *Server) guard(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", "default-src 'self'; img-src 'self'; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer") // the token may be in the address
		h.Set("Cache-Control", "no-store")
		if s.loopback && !loopbackHost(r.Host) {
			http.Error(w, "this page answers on localhost only", http.StatusMisdirectedRequest)
			return
		}
		if s.cfg.Token != "" && !s.authorized(w, r) {
			http.Error(w, "this page needs the token: open it as /?token=TOKEN (the --web-token, else the bus --token)", http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// loopbackHost reports whether a request's Host names this machine.
func loopbackHost(hostport string) bool {
	host, _, err := net.SplitHostPort(hostport)
	if err != nil {
		host = hostport
	}
	host = strings.TrimSuffix(strings.TrimPrefix(host, "["), "]")
	return netaddr.IsLoopback(host)
}

// authorized checks the token in the query (then kept in a cookie), the cookie, or an
// Authorization: Bearer header.
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	if q := r.URL.Query().Get("token"); q != "" && sameSecret(q, s.cfg.Token) {
		http.SetCookie(w, &http.Cookie{Name: tokenCookie, Value: q, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		return true
	}
	if c, err := r.Cookie(tokenCookie); err == nil && sameSecret(c.Value, s.cfg.Token) {
		return true
	}
	if v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok && sameSecret(v, s.cfg.Token) {
		return true
	}
	return false
}

func sameSecret(a, b string) bool { return subtle.ConstantTimeCompare([]byte(a), []byte(b)) == 1 }

func (s *Server) file(static fs.FS, name string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		http.ServeFileFS(w, r, static, name)
	}
}

// events streams the snapshot, then every change, as Server-Sent Events.
func (s *Server) events(w http.ResponseWriter, r *http.Request) {
	c, first, ok := s.hub.join()
	if !ok {
		http.Error(w, "too many pages are open; close one and retry", http.StatusServiceUnavailable)
		return
	}
	defer s.hub.leave(c)
	h := w.Header()
	h.Set("Content-Type", "text/event-stream")
	h.Set("X-Accel-Buffering", "no")
	rc := http.NewResponseController(w)
	if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
		return
	}
	if _, err := io.WriteString(w, "retry: 1000\n\n"); err != nil {
		return
	}
	if _, err := w.Write(first); err != nil {
		return
	}
	if err := rc.Flush(); err != nil {
		return
	}
	ping := time.NewTicker(pingEvery)
	defer ping.Stop()
	for {
		var msg []byte
		select {
		case <-r.Context().Done():
			return
		case msg = <-c.ch:
		case <-ping.C:
			msg = []byte(": ping\n\n")
		}
		// A page that stops reading is let go instead of holding this goroutine.
		if err := rc.SetWriteDeadline(time.Now().Add(writeTimeout)); err != nil {
			return
		}
		if _, err := w.Write(msg); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
	}
}

func (s *Server) snapshot(w http.ResponseWriter, _ *http.Request) {
	writeJSON(w, http.StatusOK, s.hub.snapshot())
}

// maxControlBody bounds a control request's body.
const maxControlBody = 4096

// control turns a POSTed control into the same control request `narrator ctl` sends and
// answers with the narrator's reply.
func (s *Server) control(w http.ResponseWriter, r *http.Request) {
	s.cfg.Counters.Counter(bus.CounterWebControls).Add(1)
	// A JSON content type cannot be sent cross-site without a preflight this server never
	// allows, and a foreign Origin is refused: another site cannot press the buttons.
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		s.refuse(w, http.StatusUnsupportedMediaType, "send the control as application/json")
		return
	}
	if o := r.Header.Get("Origin"); o != "" && o != "http://"+r.Host {
		s.refuse(w, http.StatusForbidden, "controls are accepted from this page only")
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, maxControlBody+1))
	if err != nil {
		s.refuse(w, http.StatusBadRequest, "read the control: "+err.Error())
		return
	}
	c, err := ParseControl(body)
	if err != nil {
		s.refuse(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.ControlTimeout)
	defer cancel()
	var rep bus.ControlReply
	if err := s.cfg.Conn.RequestEvent(ctx, bus.SubjectControl, c, &rep); err != nil {
		// The bridge itself listens to every subject, so "nothing answers" shows as a timeout.
		switch {
		case errors.Is(err, context.DeadlineExceeded):
			writeJSON(w, http.StatusGatewayTimeout, bus.BusyReply{Error: fmt.Sprintf("the narrator did not answer within %s (is a narrator running on this bus?)", s.cfg.ControlTimeout)})
		default:
			writeJSON(w, http.StatusBadGateway, bus.BusyReply{Error: err.Error()})
		}
		return
	}
	s.hub.applyReply(rep)
	writeJSON(w, http.StatusOK, rep)
}

func (s *Server) refuse(w http.ResponseWriter, code int, msg string) {
	s.cfg.Counters.Counter(bus.CounterWebControlsInvalid).Add(1)
	writeJSON(w, code, bus.BusyReply{Error: msg})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_ = json.NewEncoder(w).Encode(v) // the page went away: nothing to tell
}

// frame serves a camera's described frame; only the newest described frame is kept.
func (s *Server) frame(w http.ResponseWriter, r *http.Request) {
	jpeg, ok := s.hub.describedFrame(r.PathValue("camera"), r.URL.Query().Get("id"))
	if !ok {
		http.Error(w, "that frame is no longer kept: only each camera's newest described frame is", http.StatusNotFound)
		return
	}
	w.Header().Set("Content-Type", "image/jpeg")
	_, _ = w.Write(jpeg) // the page went away: nothing to tell
}

func (s *Server) captions(contentType string, vtt bool) http.HandlerFunc {
	return func(w http.ResponseWriter, _ *http.Request) {
		cues := s.hub.timeline()
		w.Header().Set("Content-Type", contentType)
		var err error
		if vtt {
			err = writeVTT(w, cues, s.started)
		} else {
			err = writeSRT(w, cues)
		}
		if err != nil {
			s.log.Debug("web: captions not sent", "err", err)
		}
	}
}

// timeline is the run's spoken lines from the server's start.
func (h *hub) timeline() []timed {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.cues.timeline(h.started)
}
