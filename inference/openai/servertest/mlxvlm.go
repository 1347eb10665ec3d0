package servertest

import (
	"net/http"
	"testing"
)

// MLXVLM imitates mlx_vlm.server 0.6.15 (0.3.12 with Options.Old), from Blaizzy/mlx-vlm:
//   - mlx_vlm/server/app.py add_server_header: every answer carries Server: mlx_vlm/VERSION
//     (since 0.5.0);
//   - health_check: GET /health says the loaded_model (null before the first request);
//   - models_endpoint: GET /models (and /v1/models since 0.4.0) lists every mlx model in the
//     Hugging Face cache, text models included, plus the loaded one;
//   - get_cached_model: a request naming another model unloads the loaded one and loads it;
//   - openai.py chat_completions_endpoint: enable_thinking (0.4.0+; unknown fields are
//     allowed before) turns thinking off; the reasoning streams in delta.reasoning and its
//     alias reasoning_content; an exception mid-stream is sent as data: {"error": "…"} and
//     the stream ends without [DONE]; FastAPI errors are {"detail": …};
//   - before 0.4.0 (mlx_vlm/server.py v0.3.12): no /v1 paths (404 {"detail":"Not Found"}), no
//     Server header, and the stream ends with a finish_reason "stop" chunk but no [DONE].
func MLXVLM(t testing.TB, o Options) *Server {
	s := &Server{Kind: "mlx_vlm.server", opts: o, VisionModel: "mlx-community/Qwen2.5-VL-3B-Instruct-4bit"}
	if o.Thinking {
		s.VisionModel = "mlx-community/Qwen3-VL-4B-Thinking-4bit"
	}
	loaded := s.VisionModel
	cached := []string{"mlx-community/Llama-3.2-1B-Instruct-4bit", "mlx-community/FastVLM-0.5B-bf16", s.VisionModel}
	version := "0.6.15"
	if o.Old {
		version = "0.3.12"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		writeJSON(w, map[string]any{"status": "healthy", "loaded_model": loaded, "loaded_adapter": nil})
	})
	models := func(w http.ResponseWriter, r *http.Request) {
		var data []any
		for _, id := range cached {
			data = append(data, map[string]any{"id": id, "object": "model", "created": 1_790_000_000})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
	}
	chat := func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.chat(w, r)
		if !ok {
			return
		}
		s.mu.Lock()
		if c.Model != loaded {
			s.unloads++ // "New text_generation model requested; clearing its existing cache."
			loaded = c.Model
		}
		s.mu.Unlock()
		think := o.Thinking && c.Model == s.VisionModel
		if !o.Old && c.Body["enable_thinking"] == false {
			think = false
		}
		d := mlxDialect
		if o.Old {
			d.done, d.usage = false, false
		}
		stream(w, d, c.Model, think, o.FailMidStream)
	}
	mux.HandleFunc("GET /models", models)
	mux.HandleFunc("POST /chat/completions", chat)
	if !o.Old {
		mux.HandleFunc("GET /v1/models", models)
		mux.HandleFunc("POST /v1/chat/completions", chat)
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, map[string]any{"detail": "Not Found"})
	})
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !o.Old {
			w.Header().Set("Server", "mlx_vlm/"+version)
		}
		mux.ServeHTTP(w, r)
	})
	return start(t, s, guard(s, h, nil))
}

var mlxDialect = dialect{reasoning: []string{"reasoning", "reasoning_content"}, done: true, usage: true,
	fail: func(w http.ResponseWriter, f http.Flusher) {
		write(w, `data: {"error": "[metal::malloc] Attempting to allocate 8589934592 bytes which is greater than the maximum allowed buffer size"}`+"\n\n")
		if f != nil {
			f.Flush()
		}
	}}
