package openai

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
)

// streamResult is what a whole answer amounted to.
type streamResult struct {
	Text         string
	FinishReason string
	Done         bool // the stream ended with data: [DONE]
	Streamed     bool // a stream, not one chat.completion
	Reasoning    int  // characters of reasoning ("thinking") text the server sent apart
	Usage        *usage
}

type usage struct {
	PromptTokens     int `json:"prompt_tokens"`
	CompletionTokens int `json:"completion_tokens"`
}

// message is the text of a delta or a message. Servers put a thinking model's reasoning in
// reasoning (Ollama openai/openai.go Message; mlx_vlm.server) or reasoning_content
// (llama-server, vLLM before 0.11, LM Studio).
type message struct {
	Content          *string `json:"content"`
	Reasoning        *string `json:"reasoning"`
	ReasoningContent *string `json:"reasoning_content"`
}

func (m message) reasoning() int {
	n := 0
	if m.Reasoning != nil {
		n += len(*m.Reasoning)
	}
	if m.ReasoningContent != nil && (m.Reasoning == nil || *m.ReasoningContent != *m.Reasoning) {
		n += len(*m.ReasoningContent)
	}
	return n
}

// chunk is one streamed chat.completion.chunk, or a whole chat.completion.
type chunk struct {
	Choices []struct {
		Delta        message `json:"delta"`
		Message      message `json:"message"`
		FinishReason *string `json:"finish_reason"`
	} `json:"choices"`
	Usage *usage          `json:"usage"`
	Error json.RawMessage `json:"error"`
}

// maxStreamLine bounds one SSE line; a longer one is an error, not a memory blow-up.
const maxStreamLine = 1 << 20

// parseResponse reads a 200 answer: a server-sent event stream, or one chat.completion from a
// server that ignores "stream". Anything else (an HTML page from a proxy, plain text) is an
// error that quotes it.
func parseResponse(resp *http.Response, onText func(string)) (streamResult, error) {
	ct := strings.ToLower(resp.Header.Get("Content-Type"))
	br := bufio.NewReader(resp.Body)
	switch {
	case strings.HasPrefix(ct, "text/event-stream"):
		return parseStream(br, onText)
	case strings.Contains(ct, "json"):
		return parseCompletion(br)
	}
	head, _ := br.Peek(512)
	trimmed := bytes.TrimSpace(head)
	switch {
	case bytes.HasPrefix(trimmed, []byte("data:")) || bytes.HasPrefix(trimmed, []byte(":")):
		return parseStream(br, onText)
	case bytes.HasPrefix(trimmed, []byte("{")):
		return parseCompletion(br)
	}
	if ct == "" {
		ct = "no content type"
	}
	return streamResult{}, fmt.Errorf("answered 200 with %s, not a chat completion: %q", ct, truncate(pageText(head), 200))
}

// parseStream reads a server-sent event stream of chat chunks, calling onText with the text so
// far after each piece. It tolerates null content, empty deltas, a final usage chunk with no
// choices, comments and other SSE fields; an error frame ends it with that error.
func parseStream(r io.Reader, onText func(string)) (streamResult, error) {
	res := streamResult{Streamed: true}
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
			res.Done = true
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
			return res, fmt.Errorf("server error mid-stream after %q: %s", truncate(text.String(), 80), errorText(c.Error))
		}
		if c.Usage != nil {
			res.Usage = c.Usage
		}
		for _, ch := range c.Choices {
			if ch.FinishReason != nil && *ch.FinishReason != "" {
				res.FinishReason = *ch.FinishReason
			}
			res.Reasoning += ch.Delta.reasoning()
			if ch.Delta.Content != nil && *ch.Delta.Content != "" {
				text.WriteString(*ch.Delta.Content)
				if onText != nil {
					onText(text.String())
				}
			}
		}
	}
	res.Text = text.String()
	if err := sc.Err(); err != nil {
		return res, fmt.Errorf("read stream after %q: %w", truncate(res.Text, 80), err)
	}
	return res, nil
}

// parseCompletion reads a non-streamed chat.completion, for servers that ignore "stream".
func parseCompletion(r io.Reader) (streamResult, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxStreamLine))
	if err != nil {
		return streamResult{}, fmt.Errorf("read completion: %w", err)
	}
	var c chunk
	if err := json.Unmarshal(data, &c); err != nil {
		return streamResult{}, fmt.Errorf("unreadable completion %q: %w", truncate(string(data), 120), err)
	}
	if len(c.Error) > 0 && string(c.Error) != "null" {
		return streamResult{}, fmt.Errorf("server error: %s", errorText(c.Error))
	}
	if c.Choices == nil {
		return streamResult{}, fmt.Errorf("answered 200 with JSON that is not a chat completion: %q", truncate(string(data), 200))
	}
	res := streamResult{Usage: c.Usage}
	for _, ch := range c.Choices {
		if ch.Message.Content != nil {
			res.Text += *ch.Message.Content
		}
		res.Reasoning += ch.Message.reasoning()
		if ch.FinishReason != nil {
			res.FinishReason = *ch.FinishReason
		}
	}
	return res, nil
}

// errIncomplete is an answer that must not be published as a description.
var errIncomplete = errors.New("incomplete answer")

// complete checks that the answer is a whole, non-empty description: a stream must end with a
// finish reason or [DONE] (a connection closed mid-answer, and Ollama's way of failing
// mid-stream, end with neither), and the text must not be empty. A thinking model that used
// the whole answer to think is told apart, with what to do.
func (r streamResult) complete(kind Kind) error {
	if r.Streamed && !r.Done && r.FinishReason == "" {
		hint := ""
		if kind == KindOllama {
			hint = " (Ollama ends a stream this way when the model fails mid-answer; its log says why)"
		}
		return fmt.Errorf("%w: the stream ended early, with no finish reason and no [DONE], after %q%s", errIncomplete, truncate(r.Text, 80), hint)
	}
	if strings.TrimSpace(r.Text) != "" {
		return nil
	}
	if r.Reasoning > 0 {
		return fmt.Errorf("%w: the model thought (%d characters of reasoning, finish_reason %q) and gave no description: it is a thinking model; %s", errIncomplete, r.Reasoning, r.FinishReason, thinkingAdvice(kind))
	}
	return fmt.Errorf("%w: the server answered with an empty description (finish_reason %q)", errIncomplete, r.FinishReason)
}

// thinkingAdvice says how to stop a thinking model from thinking on each server.
func thinkingAdvice(kind Kind) string {
	switch kind {
	case KindOllama:
		return "Ollama 0.12.4 or newer turns thinking off when asked (update Ollama), or use a vision model without thinking (e.g. qwen2.5vl:3b)"
	case KindLlama:
		return "start llama-server with --reasoning-budget 0, or use a vision model without thinking"
	case KindVLLM:
		return "vLLM passes enable_thinking=false to the chat template, which this model ignores: serve a vision model without thinking"
	case KindLMStudio:
		return "turn thinking off for this model in LM Studio, or load a vision model without thinking"
	case KindMLXVLM:
		return "mlx_vlm.server 0.4.0 or newer turns thinking off when asked (update mlx-vlm), or use a model without thinking"
	}
	return "turn thinking off on the server, or use a vision model without thinking"
}

var tags = regexp.MustCompile(`<[^>]*>`)

// pageText is the visible text at the start of an HTML page (or any text), on one line.
func pageText(b []byte) string {
	return strings.Join(strings.Fields(tags.ReplaceAllString(string(b), " ")), " ")
}
