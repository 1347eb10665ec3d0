package mlx

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
)

// The line protocol between narrator and its model worker (worker/narrator_worker.py,
// documented in docs/mlx.md): one JSON object per line, requests on the worker's stdin,
// events on its stdout.

// workerProtocol is the protocol version this supervisor speaks.
const workerProtocol = 1

// maxEventLine bounds one event line; longer lines are counted as garbage.
const maxEventLine = 1 << 20

// generateRequest asks for one description. The image goes separately (see appendGenerate).
type generateRequest struct {
	Op                string   `json:"op"` // "generate"
	ID                string   `json:"id"`
	Prompt            string   `json:"prompt"`
	System            string   `json:"system,omitempty"`
	MaxTokens         int      `json:"max_tokens"`
	Temperature       float64  `json:"temperature"`
	TopP              float64  `json:"top_p"`
	RepetitionPenalty *float64 `json:"repetition_penalty,omitempty"`
}

// appendGenerate appends the request as one line, with the JPEG inline as a data URI. Base64
// needs no JSON escaping, so the image is encoded straight into the line.
func appendGenerate(dst []byte, r generateRequest, jpeg []byte) ([]byte, error) {
	r.Op = "generate"
	head, err := json.Marshal(r)
	if err != nil {
		return nil, fmt.Errorf("encode request: %w", err)
	}
	dst = append(dst, head[:len(head)-1]...) // without the closing brace
	dst = append(dst, `,"image":"data:image/jpeg;base64,`...)
	n := len(dst)
	dst = append(dst, make([]byte, base64.StdEncoding.EncodedLen(len(jpeg)))...)
	base64.StdEncoding.Encode(dst[n:], jpeg)
	return append(dst, "\"}\n"...), nil
}

// controlLine encodes a cancel or shutdown request.
func controlLine(op, id string) []byte {
	b, _ := json.Marshal(struct {
		Op string `json:"op"`
		ID string `json:"id,omitempty"`
	}{op, id})
	return append(b, '\n')
}

// workerEvent is any event the worker sends; which fields are set depends on Event.
type workerEvent struct {
	Event string `json:"event"` // ready, delta, done, error (probe, verified and downloaded for the helper subcommands)
	ID    string `json:"id,omitempty"`

	// ready
	Protocol  int               `json:"protocol,omitempty"`
	PID       int               `json:"pid,omitempty"`
	Model     string            `json:"model,omitempty"`
	ModelType string            `json:"model_type,omitempty"`
	Versions  map[string]string `json:"versions,omitempty"`
	LoadS     float64           `json:"load_s,omitempty"`
	WarmupS   float64           `json:"warmup_s,omitempty"`

	// delta and done
	Text string `json:"text,omitempty"`

	// done
	FinishReason     string   `json:"finish_reason,omitempty"`
	PromptTokens     int      `json:"prompt_tokens,omitempty"`
	GenerationTokens int      `json:"generation_tokens,omitempty"`
	PromptTPS        float64  `json:"prompt_tps,omitempty"`
	GenerationTPS    float64  `json:"generation_tps,omitempty"`
	PeakMemoryGB     float64  `json:"peak_memory_gb,omitempty"`
	TTFTS            float64  `json:"ttft_s,omitempty"`
	ModelTTFTS       *float64 `json:"model_ttft_s,omitempty"`
	TotalS           float64  `json:"total_s,omitempty"`

	// error
	Code    string `json:"code,omitempty"`
	Message string `json:"message,omitempty"`
	Fatal   bool   `json:"fatal,omitempty"`

	// probe, verified and downloaded (the setup helpers)
	Python         string  `json:"python,omitempty"`
	Executable     string  `json:"executable,omitempty"`
	System         string  `json:"system,omitempty"`
	Machine        string  `json:"machine,omitempty"`
	Problem        string  `json:"problem,omitempty"`
	ProblemCode    string  `json:"problem_code,omitempty"`
	MLXVLM         string  `json:"mlx_vlm,omitempty"`
	MLX            string  `json:"mlx,omitempty"`
	HuggingFaceHub string  `json:"huggingface_hub,omitempty"`
	Transformers   string  `json:"transformers,omitempty"`
	Device         string  `json:"device,omitempty"`
	Path           string  `json:"path,omitempty"`
	Revision       *string `json:"revision,omitempty"`
}

// errGarbage marks a stdout line that is not a protocol event.
var errGarbage = errors.New("not a worker event")

// parseEvent decodes one stdout line. Anything that is not a JSON object with a known event
// name, or lacks the fields its event needs, is garbage.
func parseEvent(line []byte) (workerEvent, error) {
	line = bytes.TrimSpace(line)
	if len(line) == 0 || line[0] != '{' {
		return workerEvent{}, fmt.Errorf("%w: %q", errGarbage, clip(line))
	}
	var ev workerEvent
	if err := json.Unmarshal(line, &ev); err != nil {
		return workerEvent{}, fmt.Errorf("%w: %w", errGarbage, err)
	}
	switch ev.Event {
	case "ready":
		if ev.Protocol != workerProtocol {
			return workerEvent{}, fmt.Errorf("%w: ready with protocol %d, want %d", errGarbage, ev.Protocol, workerProtocol)
		}
	case "delta", "done":
		if ev.ID == "" {
			return workerEvent{}, fmt.Errorf("%w: %s without id", errGarbage, ev.Event)
		}
	case "error":
		if ev.Code == "" {
			return workerEvent{}, fmt.Errorf("%w: error without code", errGarbage)
		}
	case "probe", "verified", "downloaded":
	default:
		return workerEvent{}, fmt.Errorf("%w: unknown event %q", errGarbage, ev.Event)
	}
	return ev, nil
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}
