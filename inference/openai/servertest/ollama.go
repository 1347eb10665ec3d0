package servertest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"
)

// Ollama imitates Ollama 0.31 (0.29 with Options.Old), from ollama/ollama:
//   - server/routes.go ListHandler: GET /api/tags lists the models newest first, each with
//     capabilities from 0.30 on (api/types.go ListModelResponse.Capabilities);
//   - ShowHandler: POST /api/show {"model"} answers the capabilities (since 0.6.4);
//   - openai/openai.go ToListCompletion: GET /v1/models in the same order, owned_by the
//     name's namespace ("library");
//   - ChatHandler: a model whose capabilities include "thinking" thinks unless told not to
//     (req.Think defaults to true), and FromChatRequest maps reasoning_effort "none" to
//     think=false and refuses values other than high, medium, low, none;
//   - openai/openai.go ToChunk: the reasoning streams in delta.reasoning;
//   - streamResponse + middleware/openai.go ChatWriter: an error after the stream started is
//     written as {"error": …}, which the OpenAI layer turns into an empty chunk with no
//     finish reason, and the stream ends without [DONE];
//   - a full queue (OLLAMA_MAX_QUEUE) answers 503 "server busy, please try again.  maximum
//     pending requests exceeded"; a model that is not there answers 404 "model %q not found,
//     try pulling it first" (openai.NewError: type not_found_error).
//
// Ollama itself takes no API key: Options.APIKey imitates the reverse proxy users put in
// front of it.
func Ollama(t testing.TB, o Options) *Server {
	s := &Server{Kind: "Ollama", opts: o, VisionModel: "qwen2.5vl:3b"}
	if o.Thinking {
		s.VisionModel = "qwen3-vl:2b"
	}
	type tag struct {
		name string
		caps []string
	}
	models := []tag{ // newest first, as Ollama lists them
		{"gemma3:1b", []string{"completion"}},
		{s.VisionModel, []string{"completion", "vision"}},
		{"llama3.2:3b", []string{"completion", "tools"}},
	}
	if o.Thinking {
		models[1].caps = append(models[1].caps, "thinking")
	}
	capsOf := func(name string) ([]string, bool) {
		for _, m := range models {
			if m.name == name {
				return m.caps, true
			}
		}
		return nil, false
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/version", func(w http.ResponseWriter, r *http.Request) {
		v := "0.31.2"
		if o.Old {
			v = "0.29.1"
		}
		writeJSON(w, map[string]any{"version": v})
	})
	mux.HandleFunc("GET /api/tags", func(w http.ResponseWriter, r *http.Request) {
		var list []map[string]any
		for i, m := range models {
			entry := map[string]any{"name": m.name, "model": m.name, "size": 1 << 30, "digest": fmt.Sprintf("%064d", i),
				"modified_at": time.Unix(1_790_000_000-int64(i)*86400, 0).Format(time.RFC3339), "details": map[string]any{"format": "gguf"}}
			if !o.Old {
				entry["capabilities"] = m.caps
			}
			list = append(list, entry)
		}
		writeJSON(w, map[string]any{"models": list})
	})
	mux.HandleFunc("POST /api/show", func(w http.ResponseWriter, r *http.Request) {
		var req struct{ Model, Name string }
		_ = json.NewDecoder(r.Body).Decode(&req)
		if req.Model == "" {
			req.Model = req.Name
		}
		caps, ok := capsOf(req.Model)
		if !ok {
			writeStatus(w, http.StatusNotFound, map[string]any{"error": fmt.Sprintf("model '%s' not found", req.Model)})
			return
		}
		writeJSON(w, map[string]any{"capabilities": caps, "details": map[string]any{"format": "gguf"}, "model_info": map[string]any{}})
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		var data []map[string]any
		for i, m := range models {
			data = append(data, map[string]any{"id": m.name, "object": "model", "created": 1_790_000_000 - i*86400, "owned_by": "library"})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.chat(w, r)
		if !ok {
			return
		}
		caps, known := capsOf(c.Model)
		if !known {
			writeStatus(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": fmt.Sprintf("model %q not found, try pulling it first", c.Model), "type": "not_found_error", "param": nil, "code": nil}})
			return
		}
		think := slices.Contains(caps, "thinking") // ChatHandler: req.Think defaults to true
		if effort, ok := c.Body["reasoning_effort"].(string); ok {
			if !slices.Contains([]string{"high", "medium", "low", "none"}, effort) {
				writeStatus(w, http.StatusBadRequest, map[string]any{"error": map[string]any{"message": fmt.Sprintf(`invalid reasoning value: '%s' (must be "high", "medium", "low", or "none")`, effort), "type": "invalid_request_error"}})
				return
			}
			think = think && effort != "none"
		}
		if s.stillLoading() {
			writeStatus(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]any{"message": "server busy, please try again.  maximum pending requests exceeded", "type": "api_error"}})
			return
		}
		if imageSent(c.Body) && !slices.Contains(caps, "vision") {
			// A text-only model gets the image dropped and describes nothing useful; the
			// double answers with what such a model says, so a test can tell.
			stream(w, ollamaDialect, c.Model, false, false)
			return
		}
		stream(w, ollamaDialect, c.Model, think, o.FailMidStream)
	})
	return start(t, s, guard(s, mux, nil))
}

var ollamaDialect = dialect{reasoning: []string{"reasoning"}, done: true, usage: true,
	fail: func(w http.ResponseWriter, f http.Flusher) {
		// {"error": …} decoded as an api.ChatResponse: an empty chunk, no finish reason, no [DONE].
		write(w, `data: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1790000000,"model":"m","system_fingerprint":"fp_ollama","choices":[{"index":0,"delta":{"role":"assistant","content":""},"finish_reason":null}]}`+"\n\n")
		if f != nil {
			f.Flush()
		}
	}}

// guard answers requests without the API key with body (or a generic 401) unless public
// says the path needs none.
func guard(s *Server, h http.Handler, public func(path string) bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) && (public == nil || !public(r.URL.Path)) {
			writeStatus(w, http.StatusUnauthorized, map[string]any{"error": "Unauthorized"})
			return
		}
		h.ServeHTTP(w, r)
	})
}
