// Package openai is the backend for OpenAI-compatible chat servers: Ollama, llama-server
// (llama.cpp), LM Studio, vLLM and mlx_vlm.server. It asks each server which model reads
// images, turns thinking off where the server allows it, streams the answer, and never
// reports an answer that ended early, or an empty one, as a description.
package openai

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptrace"
	"strings"
	"sync/atomic"
	"time"

	"github.com/narrator-dev/narrator/internal/redact"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/backoff"
)

// Defaults of Config.
const (
	DefaultMaxTokens = 64
	DefaultTimeout   = 30 * time.Second
	DefaultRetries   = 2
	// DefaultLoadWait is how long New waits for a server that is still loading its model.
	DefaultLoadWait = 2 * time.Minute
)

// Config configures the client for OpenAI-compatible chat servers.
type Config struct {
	// URL is the server: a base URL ("http://127.0.0.1:11434"), its /v1, or the full
	// /v1/chat/completions URL. Required.
	URL string
	// Model is the model id sent with each request. Default: the model the server says reads
	// images (see choose).
	Model string
	// APIKey is sent as a bearer token when set. Default: none.
	APIKey string
	// Prompt is the user prompt sent with each frame. Default: inference.DefaultPrompt.
	Prompt string
	// SystemPrompt, when set, is sent as the system message. Default: none.
	SystemPrompt string
	// MaxTokens bounds each answer. Default: DefaultMaxTokens.
	MaxTokens int
	// Timeout bounds each request, from sending to the last token. Default: DefaultTimeout.
	// Once enough answers have been timed, the bound follows them: inference.TimeoutFactor
	// times their 95th percentile, at least inference.MinTimeout, at most Timeout.
	Timeout time.Duration
	// Retries is how often a request that could not reach the server is tried again, with
	// backoff from 250 ms doubling to 2 s. Default (0): DefaultRetries; inference.Off (any
	// negative): none.
	Retries int
	// LoadWait bounds how long New waits for a server still loading its model (503).
	// Default: DefaultLoadWait.
	LoadWait time.Duration
	// Client is the HTTP client. Default: a client with no overall timeout (Timeout applies).
	Client *http.Client
	// Logger is where waiting and fallbacks are said. Default: slog.Default().
	Logger *slog.Logger
}

// Describer describes frames with an OpenAI-compatible chat server, streaming the answer.
type Describer struct {
	cfg    Config
	srv    *server
	choice choice
	custom bool // the user gave the full chat completions URL: no path fallback

	endpoint atomic.Pointer[string]
	noSwitch atomic.Bool         // the server refused the thinking switch: send none
	loading  atomic.Bool         // said "waiting for the model server to load the model"
	latency  inference.Latencies // of the last answers, for the request timeout
}

// New checks cfg, asks the server which it is and, when no model is named, which model reads
// images. A server still loading its model is waited for, up to cfg.LoadWait.
func New(ctx context.Context, cfg Config) (*Describer, error) {
	d, err := newDescriber(ctx, cfg)
	return d, redact.Error(err, redact.Secrets(cfg.URL)...)
}

func newDescriber(ctx context.Context, cfg Config) (*Describer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	srv, err := identifyWaiting(ctx, cfg)
	if err != nil {
		if cfg.Model == "" {
			return nil, fmt.Errorf("openai backend: no --model given and the server could not tell which models it has: %w", err)
		}
		var auth *errAuth
		if errors.As(err, &auth) || errors.Is(err, inference.ErrUnavailable) {
			return nil, fmt.Errorf("openai backend: %w", err)
		}
		cfg.Logger.Info("backend: the model server did not say which it is; using --model as given", "url", redact.URL(cfg.URL), "err", redact.Error(err, redact.Secrets(cfg.URL)...))
		srv = &server{Kind: KindOther, URL: baseURL(cfg.URL)}
	}
	return newWith(cfg, srv)
}

// newWith builds the describer for a server identify has already asked.
func newWith(cfg Config, srv *server) (*Describer, error) {
	c, err := choose(srv, cfg.Model)
	if err != nil {
		return nil, fmt.Errorf("openai backend: %w", err)
	}
	o := &Describer{cfg: cfg, srv: srv, choice: c, custom: strings.HasSuffix(strings.TrimRight(cfg.URL, "/"), "/chat/completions")}
	o.cfg.Model = c.Model
	endpoint := chatEndpoint(cfg.URL)
	if srv.Legacy && !o.custom {
		endpoint = baseURL(cfg.URL) + "/chat/completions"
	}
	o.endpoint.Store(&endpoint)
	return o, nil
}

func (cfg Config) withDefaults() (Config, error) {
	if cfg.URL == "" {
		return cfg, errors.New("openai backend: no server URL (--openai-url), e.g. http://127.0.0.1:11434 for Ollama")
	}
	if cfg.Prompt == "" {
		cfg.Prompt = inference.DefaultPrompt
	}
	if cfg.MaxTokens <= 0 {
		cfg.MaxTokens = DefaultMaxTokens
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = DefaultTimeout
	}
	if cfg.LoadWait <= 0 {
		cfg.LoadWait = DefaultLoadWait
	}
	if cfg.Retries < 0 {
		cfg.Retries = 0
	} else if cfg.Retries == 0 {
		cfg.Retries = DefaultRetries
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{}
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	return cfg, nil
}

// identifyWaiting identifies the server, waiting while it loads its model.
func identifyWaiting(ctx context.Context, cfg Config) (*server, error) {
	ctx, cancel := context.WithTimeout(ctx, cfg.LoadWait)
	defer cancel()
	said := false
	for wait := 250 * time.Millisecond; ; wait = backoff.Next(wait, 2*time.Second) {
		srv, err := identify(ctx, cfg.Client, baseURL(cfg.URL), cfg.APIKey)
		var loading *errLoading
		if !errors.As(err, &loading) {
			return srv, err
		}
		if !said {
			cfg.Logger.Info("backend: waiting for the model server to load the model", "url", redact.URL(cfg.URL), "server", loading.body)
			said = true
		}
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("%w; gave up waiting after %s", err, cfg.LoadWait)
		}
	}
}

// sleep waits d or until ctx ends; it reports whether d passed.
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Info identifies the backend and model.
func (o *Describer) Info() inference.Info {
	return inference.Info{Backend: "openai", Model: o.cfg.Model, IsModel: true}
}

// Server is which server answers and why its model was chosen, for the announcement.
func (o *Describer) Server() (kind Kind, why string) { return o.srv.Kind, o.choice.Why }

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
	// The thinking switches, each sent only to the server that takes it (see switches).
	ReasoningEffort    string         `json:"reasoning_effort,omitempty"`
	ChatTemplateKwargs map[string]any `json:"chat_template_kwargs,omitempty"`
	EnableThinking     *bool          `json:"enable_thinking,omitempty"`
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
	if !o.noSwitch.Load() {
		o.switches(&req)
	}
	if o.cfg.SystemPrompt != "" {
		req.Messages = append(req.Messages, chatMessage{Role: "system", Content: o.cfg.SystemPrompt})
	}
	req.Messages = append(req.Messages, chatMessage{Role: "user", Content: []contentPart{
		{Type: "image_url", ImageURL: &imageURL{URL: "data:image/jpeg;base64," + base64.StdEncoding.EncodeToString(f.JPEG)}},
		{Type: "text", Text: prompt},
	}})
	return req
}

// switches sets the request field that turns thinking off on this server, where the server
// takes it without error:
//   - Ollama (0.12.4+, openai/openai.go FromChatRequest): reasoning_effort "none" sets think
//     false; sent only for a model whose capabilities include thinking, since Ollama 0.11.5 to
//     0.12.3 refuse "none" (a refusal drops the switch, see Describe);
//   - llama-server and vLLM: chat_template_kwargs {"enable_thinking": false}, which the chat
//     templates of thinking models (Qwen3, …) read and others ignore;
//   - mlx_vlm.server (0.4.0+, extra fields allowed before): enable_thinking false.
//
// LM Studio has no such field; a model that thinks anyway fails with advice (stream.go).
func (o *Describer) switches(req *chatRequest) {
	switch o.srv.Kind {
	case KindOllama:
		if o.choice.Thinking {
			req.ReasoningEffort = "none"
		}
	case KindLlama, KindVLLM:
		req.ChatTemplateKwargs = map[string]any{"enable_thinking": false}
	case KindMLXVLM:
		off := false
		req.EnableThinking = &off
	}
}

// Describe sends the frame and streams the answer through partial.
func (o *Describer) Describe(ctx context.Context, f bus.Frame, partial func(string)) (inference.Result, error) {
	return o.DescribePrompt(ctx, f, "", partial)
}

// DescribePrompt is Describe with prompt in place of the configured prompt ("" keeps it). Its
// errors never carry the URL's credentials: they are published in description events.
func (o *Describer) DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(string)) (inference.Result, error) {
	res, err := o.describePrompt(ctx, f, prompt, partial)
	return res, redact.Error(err, redact.Secrets(o.cfg.URL)...)
}

func (o *Describer) describePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(string)) (inference.Result, error) {
	if prompt == "" {
		prompt = o.cfg.Prompt
	}
	timeout, started := o.latency.Timeout(o.cfg.Timeout), time.Now()
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	resp, err := o.send(ctx, f, prompt)
	if errors.Is(err, errNoAnswer) && errors.Is(ctx.Err(), context.DeadlineExceeded) {
		return inference.Result{}, fmt.Errorf("%s accepted the request but did not answer within %s: %w", o.cfg.URL, timeout.Round(time.Millisecond), ctx.Err())
	}
	if err != nil {
		return inference.Result{}, err
	}
	defer closeBody(resp)
	var res inference.Result
	onText := func(text string) {
		if res.FirstTokenAt.IsZero() {
			res.FirstTokenAt = time.Now()
		}
		if partial != nil {
			partial(text)
		}
	}
	sr, err := parseResponse(resp, onText)
	if err == nil {
		err = sr.complete(o.srv.Kind)
	}
	if err != nil {
		if ctx.Err() != nil {
			return inference.Result{}, fmt.Errorf("%s did not finish within %s: %w", o.cfg.URL, timeout.Round(time.Millisecond), ctx.Err())
		}
		return inference.Result{}, fmt.Errorf("%s: %w", o.cfg.URL, err)
	}
	o.latency.Add(time.Since(started))
	res.Text = strings.TrimSpace(sr.Text)
	res.Metadata = map[string]any{"finish_reason": sr.FinishReason}
	if sr.Usage != nil {
		res.Metadata["prompt_tokens"] = sr.Usage.PromptTokens
		res.Metadata["completion_tokens"] = sr.Usage.CompletionTokens
	}
	return res, nil
}

// send posts the request and returns a 200 response. A server that is loading its model
// (503) is waited for within ctx; mlx_vlm.server before 0.4.0 (404 on /v1) is asked on its
// own paths; a server that refuses the thinking switch is asked without it. Any other error
// status is explained.
func (o *Describer) send(ctx context.Context, f bus.Frame, prompt string) (*http.Response, error) {
	wait := 250 * time.Millisecond
	for {
		body, err := json.Marshal(o.request(f, prompt))
		if err != nil {
			return nil, fmt.Errorf("encode request: %w", err)
		}
		resp, err := o.post(ctx, *o.endpoint.Load(), body)
		if err != nil {
			return nil, err
		}
		if resp.StatusCode == http.StatusOK {
			if o.loading.CompareAndSwap(true, false) {
				o.cfg.Logger.Info("backend: the model server has loaded the model", "url", redact.URL(o.cfg.URL))
			}
			return resp, nil
		}
		msg, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
		closeBody(resp)
		switch retry := o.fallback(resp.StatusCode, msg); {
		case retry:
			continue
		case resp.StatusCode == http.StatusServiceUnavailable:
			if o.loading.CompareAndSwap(false, true) {
				o.cfg.Logger.Info("backend: waiting for the model server to load the model", "url", redact.URL(o.cfg.URL), "server", truncate(errorMessage(msg), 120))
			}
			if !sleep(ctx, wait) {
				return nil, fmt.Errorf("%s was still loading the model after %s: %s", o.cfg.URL, o.cfg.Timeout, truncate(errorMessage(msg), 200))
			}
			wait = backoff.Next(wait, 2*time.Second)
			continue
		}
		return nil, explainHTTPError(o.srv.Kind, o.cfg.URL, o.cfg.Model, resp.StatusCode, msg)
	}
}

// fallback reports whether an error answer is one the request is tried again for, after
// changing what is sent: the old mlx_vlm.server paths, or no thinking switch.
func (o *Describer) fallback(status int, body []byte) bool {
	msg := strings.ToLower(errorMessage(body))
	switch {
	case status == http.StatusNotFound && !o.custom && msg == "not found" && strings.HasSuffix(*o.endpoint.Load(), "/v1/chat/completions"):
		// FastAPI's {"detail":"Not Found"}: mlx_vlm.server before 0.4.0 has no /v1 prefix.
		legacy := baseURL(o.cfg.URL) + "/chat/completions"
		o.endpoint.Store(&legacy)
		o.cfg.Logger.Info("backend: the server has no /v1 paths (mlx_vlm.server before 0.4.0); using its own", "endpoint", legacy)
		return true
	case status == http.StatusBadRequest && !o.noSwitch.Load() && (strings.Contains(msg, "reasoning") || strings.Contains(msg, "thinking") || strings.Contains(msg, "chat_template_kwargs")):
		o.noSwitch.Store(true)
		o.cfg.Logger.Warn("backend: the model server refused the switch that turns thinking off; sending requests without it", "server", truncate(errorMessage(body), 200))
		return true
	}
	return false
}

// errNoAnswer marks a request the server took (it accepted the connection) but did not
// answer before the request's context ended: the server was reached, so it is not
// ErrUnavailable.
var errNoAnswer = errors.New("no answer")

// post sends the request, retrying with backoff when the server cannot be reached.
func (o *Describer) post(ctx context.Context, endpoint string, body []byte) (*http.Response, error) {
	wait := 250 * time.Millisecond
	for attempt := 0; ; attempt++ {
		var connected atomic.Bool
		traced := httptrace.WithClientTrace(ctx, &httptrace.ClientTrace{GotConn: func(httptrace.GotConnInfo) { connected.Store(true) }})
		req, err := http.NewRequestWithContext(traced, http.MethodPost, endpoint, bytes.NewReader(body))
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
		if ctx.Err() != nil && connected.Load() {
			return nil, fmt.Errorf("%s accepted the request but did not answer: %w: %w", endpoint, errNoAnswer, err)
		}
		if ctx.Err() != nil {
			return nil, fmt.Errorf("reach model server %s (tried %d times): %w", endpoint, attempt+1, err)
		}
		if attempt >= o.cfg.Retries {
			return nil, fmt.Errorf("reach model server %s (tried %d times): %w: %w", endpoint, attempt+1, inference.ErrUnavailable, err)
		}
		if !sleep(ctx, wait) {
			return nil, fmt.Errorf("reach model server %s: %w", endpoint, ctx.Err())
		}
		wait = backoff.Next(wait, 2*time.Second)
	}
}

// closeBody closes an answer's body; an error closing what was read to the end says nothing.
func closeBody(resp *http.Response) { _ = resp.Body.Close() }
