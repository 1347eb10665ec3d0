package scale

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// model is a SIMULATED vision model server with a fixed latency, one per inference host (each
// host has its own model server, as on separate machines). It speaks llama-server's protocol,
// the subset the openai backend uses, written from ggml-org/llama.cpp (tools/server/server.cpp
// llama_server's routes; server-context.cpp get_res_models and get_res_props;
// handle_completions_impl's stream), as inference/openai/servertest.Llama imitates it:
// GET /v1/models lists one model owned_by "llamacpp", GET /props says modalities.vision, and
// POST /v1/chat/completions streams the answer as chat.completion.chunk events ending with a
// finish_reason and data: [DONE]. Each answer starts after the latency; a request the client
// closes first ends at once, as llama-server stops a task whose connection closed.
type model struct {
	name    string
	latency time.Duration
	srv     *http.Server
	url     string

	mu     sync.Mutex
	active map[string]int // frame ID → requests for it in progress
	served int
}

// startModel listens on a free loopback port.
func startModel(name string, latency time.Duration) (*model, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("model double: %w", err)
	}
	m := &model{name: name, latency: latency, url: "http://" + l.Addr().String(), active: map[string]int{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, _ *http.Request) { writeJSON(w, map[string]any{"status": "ok"}) })
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"object": "list", "data": []any{map[string]any{"id": name, "object": "model", "owned_by": "llamacpp"}}})
	})
	mux.HandleFunc("GET /props", func(w http.ResponseWriter, _ *http.Request) {
		writeJSON(w, map[string]any{"default_generation_settings": map[string]any{"n_ctx": 4096}, "total_slots": 1,
			"model_alias": name, "modalities": map[string]any{"vision": true}, "build_info": "simulated"})
	})
	mux.HandleFunc("POST /v1/chat/completions", m.chat)
	m.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = m.srv.Serve(l) }()
	return m, nil
}

// chat answers one request after the latency, naming the frame it saw.
func (m *model) chat(w http.ResponseWriter, r *http.Request) {
	var body struct {
		Messages []struct {
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&body); err != nil {
		w.WriteHeader(http.StatusBadRequest)
		writeJSON(w, map[string]any{"error": map[string]any{"code": 400, "message": err.Error(), "type": "invalid_request_error"}})
		return
	}
	frame := ""
	for _, msg := range body.Messages {
		if f := frameOf(msg.Content); f != "" {
			frame = f
		}
	}
	m.mu.Lock()
	m.active[frame]++
	m.mu.Unlock()
	defer func() {
		m.mu.Lock()
		if m.active[frame]--; m.active[frame] == 0 {
			delete(m.active, frame)
		}
		m.mu.Unlock()
	}()
	select {
	case <-time.After(m.latency):
	case <-r.Context().Done():
		return
	}
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(delta map[string]any, finish any) {
		b, _ := json.Marshal(map[string]any{"id": "chatcmpl-sim", "object": "chat.completion.chunk", "created": time.Now().Unix(), "model": m.name,
			"choices": []any{map[string]any{"index": 0, "delta": delta, "finish_reason": finish}}})
		_, _ = fmt.Fprintf(w, "data: %s\n\n", b)
	}
	chunk(map[string]any{"role": "assistant", "content": "A simulated scene, frame " + frame + "."}, nil)
	chunk(map[string]any{}, "stop")
	_, _ = fmt.Fprint(w, "data: [DONE]\n\n")
	m.mu.Lock()
	m.served++
	m.mu.Unlock()
}

// busyWith returns a frame the model is working on now, or "".
func (m *model) busyWith() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	for f := range m.active {
		return f
	}
	return ""
}

func (m *model) close() { _ = m.srv.Close() }

// frameOf finds the frame ID in a message's image: the synthetic cameras write it in the
// JPEG's comment segment.
func frameOf(content json.RawMessage) string {
	var parts []struct {
		Type     string `json:"type"`
		ImageURL struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if json.Unmarshal(content, &parts) != nil {
		return ""
	}
	for _, p := range parts {
		_, data, ok := strings.Cut(p.ImageURL.URL, ";base64,")
		if p.Type != "image_url" || !ok {
			continue
		}
		jpg, err := base64.StdEncoding.DecodeString(data)
		if err != nil {
			continue
		}
		return jpegComment(jpg)
	}
	return ""
}

// jpegComment returns the text of a JPEG's first comment segment (FF FE) right after its start.
func jpegComment(jpg []byte) string {
	if len(jpg) < 6 || !bytes.HasPrefix(jpg, []byte{0xFF, 0xD8, 0xFF, 0xFE}) {
		return ""
	}
	n := int(jpg[4])<<8 | int(jpg[5])
	if n < 2 || 4+n > len(jpg) {
		return ""
	}
	return string(jpg[6 : 4+n])
}

// withComment returns jpg with a comment segment holding text right after its start marker.
func withComment(jpg []byte, text string) []byte {
	n := len(text) + 2
	out := make([]byte, 0, len(jpg)+n+2)
	out = append(out, 0xFF, 0xD8, 0xFF, 0xFE, byte(n>>8), byte(n))
	out = append(out, text...)
	return append(out, jpg[2:]...)
}

func writeJSON(w http.ResponseWriter, v any) {
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(v)
}
