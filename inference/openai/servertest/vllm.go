package servertest

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// VLLM imitates vLLM's OpenAI-compatible server (vllm serve), from vllm-project/vllm:
//   - vllm/entrypoints/openai/server_utils.py AuthenticationMiddleware: with --api-key,
//     every path under /v1 answers 401 {"error": "Unauthorized"} without the key; /health
//     needs none;
//   - models/serving.py show_available_models: GET /v1/models lists the served model
//     (owned_by "vllm", root, max_model_len) and LoRA adapters with a parent;
//     check_model: another model answers 404 "The model `x` does not exist." (NotFoundError,
//     param "model");
//   - chat_completion: chat_template_kwargs reach the chat template (enable_thinking false
//     turns a Qwen3-style model's thinking off); with a reasoning parser the reasoning
//     streams in delta.reasoning; an error during the stream is sent as data: {"error": …}
//     followed by data: [DONE].
//
// vLLM does not listen before its model is loaded, so Options.Loading answers 503 as its
// engine does when it is sleeping or overloaded.
func VLLM(t testing.TB, o Options) *Server {
	s := &Server{Kind: "vLLM", opts: o, VisionModel: "Qwen/Qwen2.5-VL-3B-Instruct"}
	if o.Thinking {
		s.VisionModel = "Qwen/Qwen3-VL-4B-Thinking"
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /health", func(w http.ResponseWriter, r *http.Request) {})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, map[string]any{"object": "list", "data": []any{
			map[string]any{"id": s.VisionModel, "object": "model", "created": 1_790_000_000, "owned_by": "vllm",
				"root": "/root/.cache/huggingface/" + s.VisionModel, "parent": nil, "max_model_len": 32768},
			map[string]any{"id": "captions-lora", "object": "model", "created": 1_790_000_000, "owned_by": "vllm",
				"root": "/adapters/captions", "parent": s.VisionModel},
		}})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.chat(w, r)
		if !ok {
			return
		}
		if c.Model != s.VisionModel && c.Model != "captions-lora" {
			writeStatus(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": fmt.Sprintf("The model `%s` does not exist.", c.Model), "type": "NotFoundError", "param": "model", "code": 404}})
			return
		}
		if s.stillLoading() {
			writeStatus(w, http.StatusServiceUnavailable, map[string]any{"error": map[string]any{"message": "The engine is sleeping; wake it up first", "type": "Service Unavailable", "code": 503}})
			return
		}
		think := o.Thinking
		if kw, _ := c.Body["chat_template_kwargs"].(map[string]any); kw != nil && kw["enable_thinking"] == false {
			think = false
		}
		stream(w, vllmDialect, c.Model, think, o.FailMidStream)
	})
	return start(t, s, guard(s, mux, func(path string) bool { return !strings.HasPrefix(path, "/v1") }))
}

var vllmDialect = dialect{reasoning: []string{"reasoning"}, done: true, usage: true,
	fail: func(w http.ResponseWriter, f http.Flusher) {
		write(w, `data: {"error":{"message":"EngineGenerateError: the engine failed","type":"InternalServerError","param":null,"code":500}}`+"\n\n")
		write(w, "data: [DONE]\n\n")
		if f != nil {
			f.Flush()
		}
	}}
