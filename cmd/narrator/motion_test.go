package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"path/filepath"
	"sync/atomic"
	"testing"
)

// repeatingModel is a test double of an OpenAI-compatible vision server that, like a real
// model on continuous motion, describes every frame the same way. Its wire format follows
// Ollama's OpenAI compatibility layer (github.com/ollama/ollama, openai/openai.go): GET
// /v1/models lists the models (ListCompletion), and a streamed POST /v1/chat/completions
// answers with "chat.completion.chunk" events whose delta carries the content, the last with
// finish_reason "stop" (toChunk), then "data: [DONE]".
type repeatingModel struct {
	requests atomic.Int32
}

func (m *repeatingModel) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/v1/models":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, `{"object":"list","data":[{"id":"test-vlm","object":"model","owned_by":"library"}]}`)
		return
	case r.Method != http.MethodPost || r.URL.Path != "/v1/chat/completions":
		http.NotFound(w, r)
		return
	}
	m.requests.Add(1)
	_, _ = io.Copy(io.Discard, r.Body)
	w.Header().Set("Content-Type", "text/event-stream")
	chunk := func(content string, finish any) {
		c := map[string]any{"id": "chatcmpl-1", "object": "chat.completion.chunk", "model": "test-vlm", "system_fingerprint": "fp_ollama",
			"choices": []map[string]any{{"index": 0, "delta": map[string]string{"role": "assistant", "content": content}, "finish_reason": finish}}}
		data, _ := json.Marshal(c)
		_, _ = fmt.Fprintf(w, "data: %s\n\n", data)
		w.(http.Flusher).Flush()
	}
	chunk("A blue box moves ", nil)
	chunk("across a beige wall.", nil)
	chunk("", "stop")
	_, _ = io.WriteString(w, "data: [DONE]\n\n")
}

// runOnMotion plays clip through a real `narrator run` against the repeating model and
// returns how many descriptions it asked for.
func runOnMotion(t *testing.T, clip string, extra ...string) int32 {
	t.Helper()
	model := &repeatingModel{}
	srv := httptest.NewServer(model)
	defer srv.Close()
	var stdout, stderr lockedBuffer
	args := append([]string{"run", "--source", "file:" + clip, "--backend", "openai", "--openai-url", srv.URL,
		"--model", "test-vlm", "--speech", "none", "--heartbeat", "0"}, extra...)
	if err := run(context.Background(), args, &stdout, &stderr); err != nil {
		t.Fatalf("narrator %v: %v\n%s", args, err, stderr.String())
	}
	return model.requests.Load()
}

// TestSteadyMotionHalvesRequests plays 16 s of steady motion (a box crossing a wall again and
// again) through the whole pipeline against a model that repeats itself on it. With a fixed
// 500 ms interval the model is asked about 32 times; with the novelty backoff at most 16.
func TestSteadyMotionHalvesRequests(t *testing.T) {
	if testing.Short() {
		t.Skip("plays a 16 s clip twice")
	}
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	clip := filepath.Join(t.TempDir(), "motion.mkv")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "color=c=0xe1d7be:s=320x180:r=15:d=16", "-f", "lavfi", "-i", "color=c=blue:s=60x60:r=15:d=16",
		"-filter_complex", `[0][1]overlay=x='mod(t*100\,260)':y=60`, "-c:v", "ffv1", clip).CombinedOutput()
	if err != nil {
		t.Fatalf("make clip: %v: %s", err, out)
	}
	fixed := runOnMotion(t, clip, "--max-interval", "0")
	backoff := runOnMotion(t, clip)
	t.Logf("16 s of motion: %d requests with a fixed 500 ms interval, %d with the novelty backoff", fixed, backoff)
	if fixed < 24 {
		t.Fatalf("a fixed interval made only %d requests on 16 s of motion; the clip does not move enough to measure", fixed)
	}
	if backoff > 16 {
		t.Errorf("%d requests with the novelty backoff on 16 s of motion, want at most 16 (fixed interval: %d)", backoff, fixed)
	}
}
