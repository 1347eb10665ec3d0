package main

// Model server faults: `narrator run --backend openai` against a llama-server test double
// (inference/openai/servertest) behind a front on a fixed port that misbehaves on request.

import (
	"encoding/json"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference/openai/servertest"
)

// Misbehaviours of the model front.
const (
	frontPass  = ""      // pass every request to the double
	frontClose = "close" // start the answer, then drop the connection
	frontHTML  = "html"  // answer 200 with an HTML page (a captive portal, a proxy's error page)
	frontHang  = "hang"  // take the request and never answer
)

// modelFront listens on a fixed address in front of a llama-server double. Chat requests
// misbehave as mode says; the rest (the model list, /props) always pass, so the client can
// still tell which server it is. It can be killed (listener and connections closed, as when
// the server process dies) and started again on the same address.
type modelFront struct {
	t     *testing.T
	addr  string
	mode  atomic.Value // string
	proxy *httputil.ReverseProxy

	mu  sync.Mutex
	srv *http.Server
}

func newModelFront(t *testing.T) *modelFront {
	double := servertest.Llama(t, servertest.Options{})
	target, err := url.Parse(double.URL)
	if err != nil {
		t.Fatal(err)
	}
	f := &modelFront{t: t, addr: "127.0.0.1:" + freePort(t), proxy: httputil.NewSingleHostReverseProxy(target)}
	f.mode.Store(frontPass)
	f.start()
	t.Cleanup(f.kill)
	return f
}

func (f *modelFront) setMode(m string) { f.mode.Store(m) }

func (f *modelFront) start() {
	l, err := net.Listen("tcp", f.addr)
	if err != nil {
		f.t.Fatal(err)
	}
	srv := &http.Server{Handler: http.HandlerFunc(f.serve)}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// kill closes the listener and every connection, as when the server process dies.
func (f *modelFront) kill() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		_ = f.srv.Close()
		f.srv = nil
	}
}

func (f *modelFront) serve(w http.ResponseWriter, r *http.Request) {
	mode := f.mode.Load().(string)
	if r.Method != http.MethodPost || mode == frontPass {
		f.proxy.ServeHTTP(w, r)
		return
	}
	switch mode {
	case frontClose:
		// llama-server's stream (servertest.stream, from tools/server/server-context.cpp): the
		// first chunk of the answer, then the connection is gone (a crash, an OOM kill, a proxy
		// timing out) with no finish_reason and no [DONE].
		w.Header().Set("Content-Type", "text/event-stream")
		chunk, _ := json.Marshal(map[string]any{"object": "chat.completion.chunk", "choices": []any{
			map[string]any{"index": 0, "delta": map[string]any{"content": "A red ball rests"}, "finish_reason": nil}}})
		_, _ = w.Write([]byte("data: " + string(chunk) + "\n\n"))
		w.(http.Flusher).Flush()
		conn, buf, err := w.(http.Hijacker).Hijack()
		if err == nil {
			_ = buf.Flush()
			_ = conn.Close()
		}
	case frontHTML:
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write([]byte("<html><head><title>Hotel Wi-Fi</title></head><body><h1>Please accept the terms</h1></body></html>"))
	case frontHang:
		<-r.Context().Done()
	}
}

// TestFaultModelServerMisbehavesDiesAndReturns: one run of the narrator against a model
// server that cuts an answer off, answers a web page, hangs, then dies and comes back. Each
// bad answer is a description with the error in words (never the cut-off text as a success);
// a hang costs the observed-latency timeout (5 s), not 30 s; while the server is down the
// heuristic describes (announced), and when it is back the model does (announced); the
// password in --openai-url appears in no output; Ctrl-C exits 0.
func TestFaultModelServerMisbehavesDiesAndReturns(t *testing.T) {
	t.Parallel()
	front := newModelFront(t)
	u := "http://narrator:" + faultSecret + "@" + front.addr
	n := startNarrator(t, nil, "run", "--json", "--source", "demo", "--speech", "none", "--heartbeat", "300ms", "--preempt=false",
		"--backend", "openai", "--openai-url", u)
	good := func(d bus.Description) bool {
		return !d.Partial && d.Backend == "openai" && d.Error == "" && d.Text == servertest.Description
	}
	// Eight answers timed, so the request timeout follows them.
	for range 8 {
		await(t, n.events, n.events.mark(), bus.KindDescriptions, "a description by the model", time.Minute, good)
	}

	for _, c := range []struct{ mode, want string }{
		{frontClose, `after "A red ball rests": unexpected EOF`},         // once published as the description "A red ball rests" and spoken
		{frontHTML, "answered 200 with text/html"},                       // once an empty description with no error
		{frontHang, "accepted the request but did not answer within 5s"}, // once "reach model server", after 30 s
	} {
		mark := n.events.mark()
		faultAt := time.Now()
		front.setMode(c.mode)
		bad, badAt := await(t, n.events, mark, bus.KindDescriptions, c.mode+": the failed description", time.Minute, func(d bus.Description) bool {
			return !d.Partial && d.Error != ""
		})
		if !strings.Contains(bad.Error, c.want) || bad.Text != "" {
			t.Errorf("%s: description %q with error %q, want no text and an error saying %q", c.mode, bad.Text, bad.Error, c.want)
		}
		front.setMode(frontPass)
		fixedAt := time.Now()
		_, backAt := awaitAfter(t, n.events, n.events.mark(), fixedAt, bus.KindDescriptions, c.mode+": the model describes again", time.Minute, good)
		t.Logf("recovery: model server %s: error published %s after the fault; next answer %s after the server behaved again",
			c.mode, badAt.Sub(faultAt).Round(10*time.Millisecond), backAt.Sub(fixedAt).Round(10*time.Millisecond))
		ds, _ := since[bus.Description](t, n.events, mark, bus.KindDescriptions)
		for _, d := range ds {
			if !d.Partial && d.Error == "" && d.Text != servertest.Description && d.Backend == "openai" {
				t.Errorf("%s: %q published as a complete description", c.mode, d.Text)
			}
		}
	}

	// The server dies: the heuristic describes, and says so; the server comes back: the model.
	mark := n.events.mark()
	killedAt := time.Now()
	front.kill()
	down, downAt := await(t, n.events, mark, bus.SubjectWorkers, "the model down", time.Minute, func(w bus.WorkerState) bool {
		return w.State == bus.WorkerRestarting
	})
	if down.StandIn != "heuristic" || down.Code != "unreachable" {
		t.Errorf("down event %+v, want unreachable with the heuristic standing in", down)
	}
	_, heuristicAt := await(t, n.events, mark, bus.KindDescriptions, "a description by the heuristic", time.Minute, func(d bus.Description) bool {
		return !d.Partial && d.Backend == "heuristic" && d.Error == ""
	})
	await(t, n.events, mark, bus.SubjectUtterances, "the model-down announcement", time.Minute, func(u bus.Utterance) bool {
		return u.Kind == bus.KindAnnouncement && strings.Contains(u.Text, "The model stopped answering, so the heuristic describer")
	})
	t.Logf("recovery: model server killed: down event %s after, heuristic describing %s after",
		downAt.Sub(killedAt).Round(10*time.Millisecond), heuristicAt.Sub(killedAt).Round(10*time.Millisecond))
	mark = n.events.mark()
	restartedAt := time.Now()
	front.start()
	_, readyAt := await(t, n.events, mark, bus.SubjectWorkers, "the model back", time.Minute, func(w bus.WorkerState) bool {
		return w.State == bus.WorkerReady
	})
	_, modelAt := awaitAfter(t, n.events, mark, readyAt, bus.KindDescriptions, "a description by the model again", time.Minute, good)
	await(t, n.events, mark, bus.SubjectUtterances, "the model-back announcement", time.Minute, func(u bus.Utterance) bool {
		return u.Kind == bus.KindAnnouncement && u.Text == "The model is back."
	})
	t.Logf("recovery: model server restarted: ready %s after, model describing %s after (retries 1 s doubling to 30 s)",
		readyAt.Sub(restartedAt).Round(10*time.Millisecond), modelAt.Sub(restartedAt).Round(10*time.Millisecond))

	if code := n.interrupt(t); code != 0 {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
	noSecret(t, faultSecret, map[string]string{"events (stdout)": n.events.String(), "logs (stderr)": n.stderr.String()})
}
