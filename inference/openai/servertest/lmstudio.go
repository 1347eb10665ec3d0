package servertest

import (
	"net/http"
	"testing"
)

// LMStudio imitates LM Studio's server (0.3.6 and later). LM Studio is not open source; this
// follows its own documentation and its maintainers' words, from lmstudio-ai:
//   - docs 1_developer/2_rest/endpoints.mdx: GET /api/v0/models lists every downloaded model
//     with type ("llm", "vlm", "embeddings") and state ("loaded", "not-loaded"); a maintainer
//     (zed-industries/zed#32741) names type "vlm" as the way to tell vision models;
//   - GET /v1/models lists every downloaded model, whichever is loaded, and a request for a
//     model that is not loaded loads it (just-in-time loading);
//   - lmstudio-bug-tracker#908: an image sent to a text model answers 400
//     {"error":"Model does not support images. Please use a model that does."};
//   - a thinking model's reasoning streams in delta.reasoning_content ("separate
//     reasoning_content" setting, on by default); there is no request field to turn it off.
//
// With Options.APIKey it imitates 0.4's "Require authentication"; with FailMidStream the
// connection closes mid-answer, as when LM Studio crashes or is quit.
func LMStudio(t testing.TB, o Options) *Server {
	s := &Server{Kind: "LM Studio", opts: o, VisionModel: "qwen2.5-vl-3b-instruct"}
	if o.Thinking {
		s.VisionModel = "qwen3-vl-4b-thinking"
	}
	type entry struct{ id, typ, state string }
	models := []entry{
		{"meta-llama-3.1-8b-instruct", "llm", "loaded"},
		{"text-embedding-nomic-embed-text-v1.5", "embeddings", "not-loaded"},
		{"google/gemma-3-4b", "vlm", "not-loaded"},
		{s.VisionModel, "vlm", "loaded"},
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/v0/models", func(w http.ResponseWriter, r *http.Request) {
		var data []any
		for _, m := range models {
			data = append(data, map[string]any{"id": m.id, "object": "model", "type": m.typ, "publisher": "lmstudio-community",
				"arch": "qwen2_vl", "compatibility_type": "gguf", "quantization": "Q4_K_M", "state": m.state, "max_context_length": 32768})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
	})
	mux.HandleFunc("GET /v1/models", func(w http.ResponseWriter, r *http.Request) {
		var data []any
		for _, m := range models {
			data = append(data, map[string]any{"id": m.id, "object": "model", "owned_by": "organization_owner"})
		}
		writeJSON(w, map[string]any{"object": "list", "data": data})
	})
	mux.HandleFunc("POST /v1/chat/completions", func(w http.ResponseWriter, r *http.Request) {
		c, ok := s.chat(w, r)
		if !ok {
			return
		}
		typ := ""
		for _, m := range models {
			if m.id == c.Model {
				typ = m.typ
			}
		}
		switch {
		case typ == "":
			writeStatus(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": "Model \"" + c.Model + "\" not found. Please specify a valid model.", "type": "invalid_request_error", "code": "model_not_found"}})
			return
		case imageSent(c.Body) && typ != "vlm":
			writeStatus(w, http.StatusBadRequest, map[string]any{"error": "Model does not support images. Please use a model that does."})
			return
		}
		stream(w, lmStudioDialect, c.Model, o.Thinking && c.Model == s.VisionModel, o.FailMidStream)
	})
	return start(t, s, guard(s, mux, nil))
}

var lmStudioDialect = dialect{reasoning: []string{"reasoning_content"}, done: true, usage: true, fail: hijackClose}
