package openai

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"
)

// KnownServer is a model server commonly found on a local port.
type KnownServer struct {
	Name string // e.g. "Ollama"
	URL  string // base URL
}

// LocalServers are the usual local ports of OpenAI-compatible model servers, in the order
// --backend auto prefers them.
var LocalServers = []KnownServer{
	{"Ollama", "http://127.0.0.1:11434"},
	{"llama-server or mlx_vlm.server", "http://127.0.0.1:8080"},
	{"LM Studio", "http://127.0.0.1:1234"},
	{"vLLM", "http://127.0.0.1:8000"},
}

// FoundServer is a server that answered the probe, with the models it lists.
type FoundServer struct {
	KnownServer
	Models []string
}

// Probe asks each server for its model list at once, each within timeout, and returns those
// that answered, in the order given.
func Probe(ctx context.Context, servers []KnownServer, timeout time.Duration) []FoundServer {
	client := &http.Client{Timeout: timeout}
	found := make([]*FoundServer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			models, err := listModels(ctx, client, s.URL, "")
			if err == nil {
				found[i] = &FoundServer{KnownServer: s, Models: models}
			}
		}()
	}
	wg.Wait()
	var out []FoundServer
	for _, f := range found {
		if f != nil {
			out = append(out, *f)
		}
	}
	return out
}

// listModels reads GET /v1/models.
func listModels(ctx context.Context, client *http.Client, url, apiKey string) ([]string, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, baseURL(url)+"/v1/models", nil)
	if err != nil {
		return nil, err
	}
	if apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+apiKey)
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer func() { _ = resp.Body.Close() }()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s/v1/models: status %d", baseURL(url), resp.StatusCode)
	}
	var list struct {
		Data []struct {
			ID string `json:"id"`
		} `json:"data"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&list); err != nil {
		return nil, fmt.Errorf("GET %s/v1/models: %w", baseURL(url), err)
	}
	var ids []string
	for _, m := range list.Data {
		if m.ID != "" {
			ids = append(ids, m.ID)
		}
	}
	return ids, nil
}

// visionHints are substrings of model ids that usually read images.
var visionHints = []string{"vl", "vision", "llava", "fastvlm", "smolvlm", "moondream", "gemma3", "minicpm-v", "pixtral", "bakllava", "idefics", "florence", "paligemma", "internvl", "molmo"}

// IsVisionModel guesses from its id whether a model reads images.
func IsVisionModel(id string) bool {
	id = strings.ToLower(id)
	for _, h := range visionHints {
		if strings.Contains(id, h) {
			return true
		}
	}
	return false
}

// pickVisionModel returns the first model that looks like it reads images, else the first.
func pickVisionModel(models []string) string {
	for _, m := range models {
		if IsVisionModel(m) {
			return m
		}
	}
	return models[0]
}
