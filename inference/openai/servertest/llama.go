package servertest

import (
	"net/http"
	"testing"
)

// Llama imitates llama-server (llama.cpp, 2026), from ggml-org/llama.cpp:
//   - tools/server/server.cpp llama_server: GET /health, /models and /v1/models are public (no
//     API key); every other path wants it and answers 401 {"error":{"code":401,"message":
//     "Invalid API Key","type":"authentication_error"}};
//   - the loading state (server-http.cpp): until the model is loaded only the model list
//     answers; everything else gets 503 {"error":{"code":503,"message":"Loading model",
//     "type":"unavailable_error"}};
//   - server-context.cpp get_res_models: one model whose id is the model's name (the GGUF
//     file's, or --alias), owned_by "llamacpp";
//   - get_res_props: GET /props says modalities.vision, true only with --mmproj;
//   - a chat with an image but no --mmproj answers 500 "image input is not supported - hint:
//     if this is unexpected, you may need to provide the mmproj";
//   - handle_completions_impl: a thinking model's reasoning streams in
//     delta.reasoning_content, and chat_template_kwargs {"enable_thinking": false} reaches
//     the chat template, which then skips it; an error after the first chunk is sent as
//     data: {"error": {…}} and the stream ends without [DONE].
func Llama(t testing.TB, o Options) *Server {
	s := &Server{Kind: "llama-server", opts: o, VisionModel: "Mistral-Small-3.1-24B-Instruct-2503-Q4_K_M"}
	if o.Thinking {
		s.VisionModel = "Qwen3-VL-4B-Thinking-Q4_K_M"
	}
	loading := func() bool { return s.stillLoading() }
	loadingErr := map[string]any{"error": map[string]any{"code": 503, "message": "Loading model", "type": "unavailable_error"}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"status": "ok"})
	})
	models := func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{
			"models": []any{map[string]any{"name": s.VisionModel, "model": s.VisionModel, "capabilities": []string{"completion", "multimodal"}}},
			"object": "list",
			"data": []any{map[string]any{"id": s.VisionModel, "object": "model", "created": 1_790_000_000, "owned_by": "llamacpp",
				"meta": map[string]any{"n_ctx_train": 131072, "n_params": 24_000_000_000}}},
		})
	}
	mux.HandleFunc("GET /models", models)
	mux.HandleFunc("GET /v1/models", models)
	mux.HandleFunc("GET /props", func(w http.ResponseWriter, r *http.Request) {
		if loading() {
			writeStatus(w, http.StatusServiceUnavailable, loadingErr)
			return
		}
		writeJSON(w, map[string]any{
			"default_generation_settings": map[string]any{"n_ctx": 4096},
			"total_slots":                 1,
			"model_alias":                 s.VisionModel,
			"model_path":                  "/models/" + s.VisionModel + ".gguf",
			"modalities":                  map[string]any{"vision": !o.NoVision, "video": false, "audio": false},
			"build_info":                  "b7400-1a2b3c4d",
		})
	})
	chat := func(w http.ResponseWriter, r *http.Request) {
		if loading() {
			writeStatus(w, http.StatusServiceUnavailable, loadingErr)
			return
		}
		c, ok := s.chat(w, r)
		if !ok {
			return
		}
		if imageSent(c.Body) && o.NoVision {
			writeStatus(w, http.StatusInternalServerError, map[string]any{"error": map[string]any{"code": 500,
				"message": "image input is not supported - hint: if this is unexpected, you may need to provide the mmproj", "type": "server_error"}})
			return
		}
		think := o.Thinking
		if kw, _ := c.Body["chat_template_kwargs"].(map[string]any); kw != nil && kw["enable_thinking"] == false {
			think = false
		}
		stream(w, llamaDialect, s.VisionModel, think, o.FailMidStream)
	}
	mux.HandleFunc("POST /v1/chat/completions", chat)
	mux.HandleFunc("POST /chat/completions", chat)
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeStatus(w, http.StatusNotFound, map[string]any{"error": map[string]any{"code": 404, "message": "File Not Found", "type": "not_found_error"}})
	})
	public := func(path string) bool {
		return path == "/health" || path == "/v1/health" || path == "/models" || path == "/v1/models"
	}
	h := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.authorized(r) && !public(r.URL.Path) {
			writeStatus(w, http.StatusUnauthorized, map[string]any{"error": map[string]any{"code": 401, "message": "Invalid API Key", "type": "authentication_error"}})
			return
		}
		mux.ServeHTTP(w, r)
	})
	return start(t, s, h)
}

var llamaDialect = dialect{reasoning: []string{"reasoning_content"}, done: true, usage: true,
	fail: func(w http.ResponseWriter, f http.Flusher) {
		write(w, `data: {"error":{"code":500,"message":"Failed to decode the batch: KV cache is full","type":"server_error"}}`+"\n\n")
		if f != nil {
			f.Flush()
		}
	}}
