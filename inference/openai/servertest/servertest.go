// Package servertest has test doubles of the model servers the openai backend talks to:
// Ollama, llama-server (llama.cpp), LM Studio, vLLM and mlx_vlm.server. Each is written from
// that server's own source (cited on each constructor) and reproduces the quirks that matter
// to a client: how it says which model reads images, how it streams a thinking model's
// reasoning and which switch turns thinking off, how it fails mid-answer, its 401 and 503
// bodies, and its paths.
package servertest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape a double. The zero value is a healthy server whose newest model reads only
// text, so a client that picks by list order or by name gets it wrong.
type Options struct {
	// APIKey, when set, is required; requests without it get the server's 401.
	APIKey string
	// Loading is how many chat requests are answered 503 (the server's loading or busy words)
	// before it answers.
	Loading int
	// Thinking makes the vision model a thinking model: unless the request carries the switch
	// this server takes, it streams only reasoning and stops at max_tokens.
	Thinking bool
	// FailMidStream fails every answer after its first words, the way this server does.
	FailMidStream bool
	// Old is the server before the version a client must not rely on: Ollama before 0.30 (no
	// capabilities in /api/tags), mlx_vlm.server before 0.4.0 (no /v1 paths, no Server header,
	// no [DONE]).
	Old bool
	// NoVision is llama-server started without --mmproj.
	NoVision bool
	// Listener, when set, is where the double listens (e.g. the server's usual port, to try
	// narrator run --backend auto by hand). Default: a free port on 127.0.0.1.
	Listener net.Listener
}

// Server is a running double.
type Server struct {
	*httptest.Server
	// Kind is the server it imitates, as the openai backend names it.
	Kind string
	// VisionModel is the model a client should choose.
	VisionModel string

	opts    Options
	mu      sync.Mutex
	chats   []Chat
	loading int
	unloads int
}

// Chat is one chat completions request the double received.
type Chat struct {
	Path  string
	Model string
	Body  map[string]any
}

// Chats returns the chat requests received so far.
func (s *Server) Chats() []Chat {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Chat(nil), s.chats...)
}

// Unloads is how often a request made the server unload the model it had loaded
// (mlx_vlm.server loads whatever model a request names).
func (s *Server) Unloads() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.unloads
}

func start(t testing.TB, s *Server, h http.Handler) *Server {
	s.Server = httptest.NewUnstartedServer(h)
	if s.opts.Listener != nil {
		_ = s.Server.Listener.Close()
		s.Server.Listener = s.opts.Listener
	}
	s.loading = s.opts.Loading // before Start: a handler reads it at once
	s.Server.Start()
	if t != nil {
		t.Cleanup(s.Close)
	}
	return s
}

// chat decodes a chat request and records it; ok is false when the body is not JSON.
func (s *Server) chat(w http.ResponseWriter, r *http.Request) (Chat, bool) {
	var body map[string]any
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"error": map[string]any{"message": err.Error()}})
		return Chat{}, false
	}
	c := Chat{Path: r.URL.Path, Body: body}
	c.Model, _ = body["model"].(string)
	s.mu.Lock()
	s.chats = append(s.chats, c)
	s.mu.Unlock()
	return c, true
}

// stillLoading counts down Options.Loading.
func (s *Server) stillLoading() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.loading > 0 {
		s.loading--
		return true
	}
	return false
}

func (s *Server) authorized(r *http.Request) bool {
	return s.opts.APIKey == "" || r.Header.Get("Authorization") == "Bearer "+s.opts.APIKey
}

func writeJSON(w http.ResponseWriter, v any) {
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "application/json")
	}
	_ = json.NewEncoder(w).Encode(v)
}

func writeStatus(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// dialect is how a server streams an answer.
type dialect struct {
	reasoning []string // the delta fields a thinking model's reasoning goes to
	done      bool     // ends with data: [DONE]
	usage     bool     // sends a usage chunk with no choices (stream_options.include_usage)
	// fail writes the server's mid-answer failure after the first words.
	fail func(w http.ResponseWriter, f http.Flusher)
}

// Description is what every double answers for a frame.
const Description = "A red ball rests on a wooden table."

// stream answers a chat request as a stream in d; thinking says whether the model thinks.
func stream(w http.ResponseWriter, d dialect, model string, thinking bool, failMid bool) {
	w.Header().Set("Content-Type", "text/event-stream")
	f, _ := w.(http.Flusher)
	id := fmt.Sprintf("chatcmpl-%d", time.Now().UnixNano()%1000)
	send := func(delta map[string]any, finish any) {
		chunk := map[string]any{"id": id, "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": model,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}}
		b, _ := json.Marshal(chunk)
		writef(w, "data: %s\n\n", b)
		if f != nil {
			f.Flush()
		}
	}
	send(map[string]any{"role": "assistant", "content": ""}, nil)
	if thinking {
		for _, piece := range []string{"The user wants", " a description.", " Let me look at the image", " carefully"} {
			delta := map[string]any{"content": ""}
			for _, field := range d.reasoning {
				delta[field] = piece
			}
			send(delta, nil)
		}
		send(map[string]any{}, "length")
	} else {
		words := strings.SplitAfter(Description, " ")
		for i, piece := range words {
			send(map[string]any{"content": piece}, nil)
			if failMid && i == 2 {
				d.fail(w, f)
				return
			}
		}
		send(map[string]any{}, "stop")
	}
	if d.usage {
		b, _ := json.Marshal(map[string]any{"id": id, "object": "chat.completion.chunk", "model": model, "choices": []any{},
			"usage": map[string]any{"prompt_tokens": 310, "completion_tokens": 9, "total_tokens": 319}})
		writef(w, "data: %s\n\n", b)
	}
	if d.done {
		write(w, "data: [DONE]\n\n")
	}
}

// hijackClose closes the connection mid-answer, as a crashed or restarted server does.
func hijackClose(w http.ResponseWriter, f http.Flusher) {
	if f != nil {
		f.Flush()
	}
	if hj, ok := w.(http.Hijacker); ok {
		if conn, _, err := hj.Hijack(); err == nil {
			_ = conn.Close()
		}
	}
}

// imageSent reports whether a chat request carries an image part.
func imageSent(body map[string]any) bool {
	msgs, _ := body["messages"].([]any)
	for _, m := range msgs {
		parts, _ := m.(map[string]any)["content"].([]any)
		for _, p := range parts {
			if pm, _ := p.(map[string]any); pm["type"] == "image_url" {
				return true
			}
		}
	}
	return false
}

// write and writef send part of an answer; a client that hung up is not the double's error.
func write(w http.ResponseWriter, s string) { _, _ = io.WriteString(w, s) }

func writef(w http.ResponseWriter, format string, args ...any) {
	_, _ = fmt.Fprintf(w, format, args...)
}
