package openai

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strings"
)

// errorMessage is the server's own words in an error body, in any of the shapes the servers
// use: {"error": {"message": …}} (OpenAI, llama-server, Ollama, vLLM 0.11+), {"error": "…"}
// (LM Studio, vLLM's 401, Ollama's native API), {"message": …} (vLLM before 0.11), and
// FastAPI's {"detail": "…"} or {"detail": [{"loc": …, "msg": …}]} (mlx_vlm.server). Anything
// else is returned as text.
func errorMessage(body []byte) string {
	var wrapped struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(body, &wrapped) == nil {
		switch {
		case len(wrapped.Error) > 0 && string(wrapped.Error) != "null":
			return errorText(wrapped.Error)
		case wrapped.Message != "":
			return wrapped.Message
		case len(wrapped.Detail) > 0 && string(wrapped.Detail) != "null":
			return detailText(wrapped.Detail)
		}
	}
	return pageText(body)
}

// errorText extracts a message from an "error" that is a string or an object with "message".
func errorText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var obj struct {
		Message string `json:"message"`
	}
	if json.Unmarshal(raw, &obj) == nil && obj.Message != "" {
		return obj.Message
	}
	return truncate(string(raw), 300)
}

// detailText reads FastAPI's "detail": a string, or a list of validation errors.
func detailText(raw json.RawMessage) string {
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var list []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(raw, &list) == nil && len(list) > 0 {
		var parts []string
		for _, e := range list {
			var loc []string
			for _, l := range e.Loc {
				loc = append(loc, fmt.Sprint(l))
			}
			parts = append(parts, strings.Join(loc, ".")+": "+e.Msg)
		}
		return strings.Join(parts, "; ")
	}
	return truncate(string(raw), 300)
}

// explainHTTPError turns an error answer into the server's words and what to do, naming the
// right server.
func explainHTTPError(kind Kind, server, model string, status int, body []byte) error {
	msg := errorMessage(body)
	err := fmt.Errorf("%s answered %d: %s", server, status, truncate(msg, 300))
	if hint := httpHint(kind, model, status, strings.ToLower(msg)); hint != "" {
		err = fmt.Errorf("%w (%s)", err, hint)
	}
	return err
}

func httpHint(kind Kind, model string, status int, lower string) string {
	if kind == KindOther && strings.Contains(lower, "try pulling it") {
		kind = KindOllama // Ollama's words (server/routes.go), behind a proxy that hid it
	}
	switch {
	case strings.Contains(lower, "image input is not supported") || strings.Contains(lower, "mmproj"):
		return "the server cannot read images: start llama-server with --mmproj PATH (the model's multimodal projector), or use a vision model"
	case strings.Contains(lower, "does not support image") || strings.Contains(lower, "not a multimodal model") || strings.Contains(lower, "does not support vision"):
		return fmt.Sprintf("model %q reads only text: %s", model, visionAdvice(kind))
	case strings.Contains(lower, "image urls are not currently supported"):
		return "the server refused the image: it wants the image inline; check that it is a vision model and an up-to-date server"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		return "the server wants an API key: set NARRATOR_OPENAI_API_KEY"
	case status == http.StatusNotFound && (strings.Contains(lower, "model") || strings.Contains(lower, "does not exist")):
		return notFoundAdvice(kind, model)
	case status == http.StatusNotFound:
		return "no chat completions endpoint there: check --openai-url (e.g. http://127.0.0.1:11434 for Ollama)"
	}
	return ""
}

func visionAdvice(kind Kind) string {
	switch kind {
	case KindOllama:
		return "use a model whose capabilities include vision (`ollama show MODEL`), e.g. `ollama pull qwen2.5vl:3b`, or leave --model empty"
	case KindLMStudio:
		return `load a model of type "vlm" in LM Studio (e.g. ` + "`lms get qwen2.5-vl-3b-instruct`" + `), or leave --model empty`
	case KindLlama:
		return "start llama-server with a vision model and its --mmproj"
	case KindVLLM:
		return "serve a vision model with vLLM (e.g. `vllm serve Qwen/Qwen2.5-VL-3B-Instruct`)"
	}
	return "use a vision model, or leave --model empty to let narrator pick one"
}

func notFoundAdvice(kind Kind, model string) string {
	switch kind {
	case KindOllama:
		return fmt.Sprintf("model %q is not on the server: `ollama pull %s`, or pass another --model", model, model)
	case KindVLLM:
		return fmt.Sprintf("vLLM serves only the model it was started with, and %q is not it: leave --model empty, or pass the id GET /v1/models lists", model)
	case KindLlama:
		return "llama-server serves the model it was started with (-m or -hf): leave --model empty"
	case KindLMStudio:
		return fmt.Sprintf("model %q is not in LM Studio: download it (`lms get`), or leave --model empty", model)
	case KindMLXVLM:
		return fmt.Sprintf("mlx_vlm.server could not load %q: check the Hugging Face id, or leave --model empty to use the model it has loaded", model)
	}
	return fmt.Sprintf("model %q is not on the server: load it, or pass another --model", model)
}

// answered reports whether err means a server answered but cannot be used as it is.
func answered(err error) bool {
	var auth *errAuth
	var loading *errLoading
	return errors.As(err, &auth) || errors.As(err, &loading)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
