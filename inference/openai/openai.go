package openai

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"

	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/backoff"
)

// Config configures the client for OpenAI-compatible chat servers (Ollama, llama-server,
// LM Studio, vLLM, mlx_vlm.server).
type Config struct {
	// URL is the server: a base URL ("http://127.0.0.1:11434"), its /v1, or the full
	// /v1/chat/completions URL. Required.
	URL string
	// Model is the model id sent with each request. Default: the first vision model the server
	// lists at /v1/models.
	Model string
	// APIKey is sent as a bearer token when set. Default: none.
	APIKey string
	// Prompt is the user prompt sent with each frame. Default: DefaultPrompt.
	Prompt string
	// SystemPrompt, when set, is sent as the system message. Default: none.
	SystemPrompt string
	// MaxTokens bounds each answer. Default: 64.
	MaxTokens int
	// Timeout bounds each request, from sending to the last token. Default: 30s.
	Timeout time.Duration
	// Retries is how often a request that could not reach the server is tried again, with
	// backoff from 250 ms doubling to 2 s. Default (0): 2; negative: none.
	Retries int
	// Client is the HTTP client. Default: a client with no overall timeout (Timeout applies).
	Client *http.Client
}

// OpenAI describes frames with an OpenAI-compatible chat server, streaming the answer.
type Describer struct {
	cfg      Config
	endpoint string
}

// New checks cfg and, when no model is named, asks the server which models it has.
func New(ctx context.Context, cfg Config) (*Describer, error) {
	if cfg.URL == "" {
		return nil, errors.New("openai backend: no server URL (--openai-url), e.g. http://127.0.0.1:11434 for Ollama")
	}
	if cfg.Prompt == "" {
		cfg.Prompt = inference.DefaultPrompt
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = 64
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = 2
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	o := &Describer{cfg: cfg, endpoint: chatEndpoint(cfg.URL)}
	if o.cfg.Model == "" {
		models, err := listModels(ctx, cfg.Client, cfg.URL, cfg.APIKey)
		if err != nil {
			return nil, fmt.Errorf("openai backend: no --model given and the model list failed: %w", err)
		}
		if len(models) == 0 {
			return nil, fmt.Errorf("openai backend: %s lists no models: load one, or pass --model", cfg.URL)
		}
		o.cfg.Model = pickVisionModel(models)
	}
	return o, nil
}

// Info identifies the backend and model.
func (o *Describer) Info() inference.Info {
	return inference.Info{Backend: "openai", Model: o.cfg.Model, IsModel: true}
}

// chatEndpoint turns what the user typed into the chat completions URL.
func chatEndpoint(url string) string {
	url = strings.TrimRight(url, "/")
	switch {
	case strings.HasSuffix(url, "/chat/completions"):
		return url
	case strings.HasSuffix(url, "/v1"):
		return url + "/chat/completions"
	}
	return url + "/v1/chat/completions"
}

// baseURL strips the API path from what the user typed.
func baseURL(url string) string {
	url = strings.TrimRight(url, "/")
	url = strings.TrimSuffix(url, "/chat/completions")
	return strings.TrimSuffix(url, "/v1")
}

type chatRequest struct {
	Model         string        `json:"model"`
	Messages      []chatMessage `json:"messages"`
	MaxTokens     int           `json:"max_tokens"`
	Temperature   float64       `json:"temperature"`
	Stream        bool          `json:"stream"`
	StreamOptions struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type chatMessage struct {
	Role    string `json:"role"`
	Content any    `json:"content"` // a string, or a list of parts
}

type contentPart struct {
	Type     string    `json:"type"`
	Text     string    `json:"text,omitempty"`
	ImageURL *imageURL `json:"image_url,omitempty"`
}

type imageURL struct {
	URL string `json:"url"`
}

// request builds the chat request for one frame: the image as a data URI, then the prompt.
func (o *Describer) request(f bus.Frame, prompt string) chatRequest {
	req := chatRequest{Model: o.cfg.Model, MaxTokens: o.cfg.MaxTokens, Stream: true}
	req.StreamOptions.IncludeUsage = true
	if o.cfg.SystemPrompt != "" {
		req.Messages = append(req.Messages, chatMessage{Role: "system", Content: o.cfg.SystemPrompt})
	}
	req.Messages = append(req.Messages, chatMessage{Role: "user", Content: []contentPart{
		{Type: "image_url", ImageURL: &imageURL{URL: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(f.JPEG)}},
		{Type: "text", Text: prompt},
	}})
	return req
}

// Describe sends the frame and streams the answer through partial.
func (o *Describer) Describe(ctx context.Context, f bus.Frame, partial func(string)) (inference.Result, error) {
	return o.DescribePrompt(ctx, f, "", partial)
}

// DescribePrompt is Describe with prompt in place of the configured prompt ("" keeps it).
func (o *Describer) DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(string)) (inference.Result, error) {
	if prompt == "" {
		prompt = o.cfg.Prompt
	}
	body, err := json.Marshal(o.request(f, prompt))
	if err != nil {
		return inference.Result{}, fmt.Errorf("encode request: %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, o.cfg.Timeout)
	defer cancel()
	resp, err := o.post(ctx, body)
	if err != nil {
		return inference.Result{}, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		return inference.Result{}, explainHTTPError(o.cfg.URL, o.cfg.Model, resp.StatusCode, msg)
	}
	var res inference.Result
	onText := func(text string) {
		if res.FirstTokenAt.IsZero() {
			res.FirstTokenAt = time.Now()
		}
		if partial != nil {
			partial(text)
		}
	}
	var sr streamResult
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "application/json") {
		sr, err = parseCompletion(resp.Body)
	} else {
		sr, err = parseStream(resp.Body, onText)
	}
	if err != nil {
		if ctx.Err() != nil {
			return inference.Result{}, fmt.Errorf("%s did not finish within %s: %w", o.cfg.URL, o.cfg.Timeout, ctx.Err())
		}
		return inference.Result{}, fmt.Errorf("%s: %w", o.cfg.URL, err)
	}
	res.Text = strings.TrimSpace(sr.Text)
	res.Metadata = map[string]any{"finish_reason": sr.FinishReason}
	if sr.Usage != nil {
		res.Metadata["prompt_tokens"] = sr.Usage.PromptTokens
		res.Metadata["completion_tokens"] = sr.Usage.CompletionTokens
	}
	return res, nil
}

// post sends the request, retrying with backoff when the server cannot be reached.
func (o *Describer) post(ctx context.Context, body []byte) (*http.Response, error) {
	wait := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, o.endpoint, bytes.NewReader(body))
		if err != nil {
			return nil, fmt.Errorf("openai backend: %w", err)
		}
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "text/event-stream")
		if o.cfg.APIKey != "" {
			req.Header.Set("Authorization", "Bearer "+o.cfg.APIKey)
		}
		resp, err := o.cfg.Client.Do(req)
		if err == nil {
			return resp, nil
		}
		if ctx.Err() != nil || attempt >= o.cfg.Retries {
			return nil, fmt.Errorf("reach model server %s (tried %d times): %w", o.endpoint, attempt+1, err)
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("reach model server %s: %w", o.endpoint, ctx.Err())
		case <-time.After(wait):
		}
		wait = backoff.Next(wait, 2*time.Second)
	}
}

// streamResult is what a whole answer amounted to.
type streamResult struct {
	Text         string
	FinishReason string
	Usage        *usage
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// chunk is one streamed chat.completion.chunk, or a whole chat.completion.
type chunk struct {
	Choices []struct {
		Delta struct {
			Content *string `json:"content"`
		} `json:"delta"`
		Message struct {
			Content *string `json:"content"`
		} `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// maxStreamLine bounds one SSE line; a longer one is an error, not a memory blow-up.
const maxStreamLine = 1 << 20

// parseStream reads a server-sent event stream of chat chunks, calling onText with the text so
// far after each piece. It tolerates null content, empty deltas, a final usage chunk with no
// choices, comments and other SSE fields, and a stream that ends without [DONE]; an error frame
// ends it with that error.
func parseStream(r io.Reader, onText func(string)) (streamResult, error) {
	var res streamResult
	var text strings.Builder
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxStreamLine)
	for sc.Scan() {
		line := strings.TrimRight(sc.Text(), "\r")
		data, ok := strings.CutPrefix(line, "data:")
		if !ok {
			continue // blank separators, comments, event:/id:/retry: fields
		}
		data = strings.TrimSpace(data)
		if data == "[DONE]" {
			break
		}
		if data == "" {
			continue
		}
		var c chunk
		if err := json.Unmarshal([]byte(data), &c); err != nil {
			return res, fmt.Errorf("unreadable stream chunk %q: %w", truncate(data, 120), err)
		}
		if len(c.Error) > 0 && string(c.Error) != "null" {
			return res, fmt.Errorf("server error mid-stream: %s", errorText(c.Error))
		}
		if c.Usage != nil {
			res.Usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				res.FinishReason = *ch.FinishReason
			}
			if ch.Delta.Content != nil && *ch.Delta.Content != "" {
				text.WriteString(*ch.Delta.Content)
				if onText != nil {
					onText(text.String())
				}
			}
		}
	}
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("read stream: %w", err)
	}
	res.Text = text.String()
	return res, nil
}

// parseCompletion reads a non-streamed chat.completion, for servers that ignore "stream".
func parseCompletion(r io.Reader) (streamResult, error) {
	var c chunk
	if err := json.NewDecoder(io.LimitReader(r, maxStreamLine)).Decode(&c); err != nil {
		return streamResult{}, fmt.Errorf("unreadable completion: %w", err)
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return streamResult{}, fmt.Errorf("server error: %s", errorText(c.Error))
	}
	res := streamResult{Usage: c.Usage}
	for _, ch := range c.Choices {
		if ch.Message.Content != nil {
			res.Text += *ch.Message.Content
		}
		if ch.FinishReason != nil {
			res.FinishReason = *ch.FinishReason
		}
	}
	return res, nil
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

// explainHTTPError turns an error response into a message that says what to do.
func explainHTTPError(server, model string, status int, body []byte) error {
	msg := strings.TrimSpace(string(body))
	var wrapped struct {
		Error json.RawMessage `json:"error"`
	}
	if json.Unmarshal(body, &wrapped) == nil && len(wrapped.Error) > 0 {
		msg = errorText(wrapped.Error)
	}
	lower := strings.ToLower(msg)
	var hint string
	switch {
	case strings.Contains(lower, "image input is not supported") || strings.Contains(lower, "mmproj"):
		hint = "the server cannot read images: start llama-server with --mmproj PATH (the model's multimodal projector), or use a vision model"
	case strings.Contains(lower, "image urls are not currently supported"):
		hint = "the server refused the image: it wants the image inline; check that it is a vision model and an up-to-date server"
	case status == http.StatusUnauthorized || status == http.StatusForbidden:
		hint = "the server wants an API key: set NARRATOR_OPENAI_API_KEY"
	case status == http.StatusNotFound && strings.Contains(lower, "model"):
		hint = fmt.Sprintf("model %q is not on the server: pull or load it (e.g. `ollama pull %s`), or pass another --model", model, model)
	case status == http.StatusNotFound:
		hint = "no chat completions endpoint there: check --openai-url (e.g. http://127.0.0.1:11434 for Ollama)"
	}
	err := fmt.Errorf("%s answered %d: %s", server, status, truncate(msg, 300))
	if hint != "" {
		err = fmt.Errorf("%w (%s)", err, hint)
	}
	return err
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
