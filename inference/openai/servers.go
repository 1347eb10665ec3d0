package openai

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/narrator-dev/narrator/inference"
)

// Kind is which model server answers at a URL. Each says in its own way what its models can
// do; identify reads that, so the model is chosen by the server's capability flag, not by name.
type Kind string

// The servers identify recognises. The request and answer shapes each is known by are in
// servers_test.go, next to the test double written from that server's source.
const (
	KindOllama   Kind = "Ollama"         // GET /api/tags (0.30+: capabilities) or POST /api/show
	KindLlama    Kind = "llama-server"   // GET /props: modalities.vision
	KindLMStudio Kind = "LM Studio"      // GET /api/v0/models: type "vlm", state "loaded"
	KindVLLM     Kind = "vLLM"           // serves the one model it was started with
	KindMLXVLM   Kind = "mlx_vlm.server" // Server: mlx_vlm/…; GET /health: loaded_model
	KindOther    Kind = "the model server"
)

// model is one model a server offers, with what the server says it can do.
type model struct {
	ID       string
	Vision   *bool // nil when the server does not say
	Thinking bool  // the server says the model thinks before it answers (Ollama)
	Loaded   bool
	Parent   string // vLLM: the base model of a LoRA adapter
}

// server is what identify learned about a model server.
type server struct {
	Kind    Kind
	URL     string // base URL
	Version string
	Models  []model
	Loaded  string // mlx_vlm.server: the model it has loaded, "" when none
	Legacy  bool   // mlx_vlm.server before 0.4.0: no /v1 prefix on its paths
	Vision  *bool  // llama-server: modalities.vision of the one model it serves
}

// errAuth is a server that wants an API key, or another one.
type errAuth struct {
	url    string
	status int
	body   string
}

func (e *errAuth) Error() string {
	return fmt.Sprintf("%s answered %d (%s): set NARRATOR_OPENAI_API_KEY to its API key", e.url, e.status, e.body)
}

// errLoading is a server that is still loading its model (503).
type errLoading struct {
	url  string
	body string
}

func (e *errLoading) Error() string {
	return fmt.Sprintf("%s is still loading the model (503: %s)", e.url, e.body)
}

// getter makes the GET and POST requests of identify.
type getter struct {
	client *http.Client
	base   string
	apiKey string
}

// get fetches path and decodes its JSON body into v (when not nil). It returns the status;
// err is set only when the server could not be asked or its 200 answer was not JSON.
func (g getter) get(ctx context.Context, method, path string, body io.Reader, v any) (int, http.Header, error) {
	req, err := http.NewRequestWithContext(ctx, method, g.base+path, body)
	if err != nil {
		return 0, nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if g.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+g.apiKey)
	}
	resp, err := g.client.Do(req)
	if err != nil {
		if ctx.Err() == nil {
			err = fmt.Errorf("%w: %w", inference.ErrUnavailable, err)
		}
		return 0, nil, err
	}
	defer closeBody(resp)
	data, err := io.ReadAll(io.LimitReader(resp.Body, 4<<20))
	if err != nil {
		return resp.StatusCode, resp.Header, fmt.Errorf("%s %s: %w", method, path, err)
	}
	switch {
	case resp.StatusCode == http.StatusUnauthorized || resp.StatusCode == http.StatusForbidden:
		return resp.StatusCode, resp.Header, &errAuth{url: g.base, status: resp.StatusCode, body: truncate(errorMessage(data), 120)}
	case resp.StatusCode == http.StatusServiceUnavailable:
		return resp.StatusCode, resp.Header, &errLoading{url: g.base, body: truncate(errorMessage(data), 120)}
	case resp.StatusCode != http.StatusOK || v == nil:
		return resp.StatusCode, resp.Header, nil
	}
	if err := json.Unmarshal(data, v); err != nil {
		return resp.StatusCode, resp.Header, fmt.Errorf("%s %s%s: not JSON: %s", method, g.base, path, truncate(strings.TrimSpace(string(data)), 80))
	}
	return resp.StatusCode, resp.Header, nil
}

// modelList is GET /v1/models as every server answers it.
type modelList struct {
	Data []struct {
		ID      string `json:"id"`
		OwnedBy string `json:"owned_by"`
		Parent  string `json:"parent"`
	} `json:"data"`
}

// identify asks the server at base which it is and which models it offers. It returns
// *errAuth when the server wants an API key and *errLoading while it loads its model.
func identify(ctx context.Context, client *http.Client, base, apiKey string) (*server, error) {
	g := getter{client: client, base: base, apiKey: apiKey}
	s := &server{Kind: KindOther, URL: base}
	var list modelList
	status, hdr, err := g.get(ctx, http.MethodGet, "/v1/models", nil, &list)
	if err != nil {
		return nil, err
	}
	if status == http.StatusNotFound {
		// mlx_vlm.server before 0.4.0 serves its paths without /v1 (mlx_vlm/server.py at
		// v0.3.12: @app.get("/models"), @app.post("/chat/completions")).
		if status, hdr, err = g.get(ctx, http.MethodGet, "/models", nil, &list); err != nil {
			return nil, err
		}
		s.Legacy = status == http.StatusOK
	}
	if status != http.StatusOK {
		return nil, fmt.Errorf("GET %s/v1/models: status %d", base, status)
	}
	for _, m := range list.Data {
		if m.ID != "" {
			s.Models = append(s.Models, model{ID: m.ID, Parent: m.Parent})
		}
	}
	if strings.HasPrefix(hdr.Get("Server"), "mlx_vlm") || s.Legacy {
		return s, identifyMLXVLM(ctx, g, s)
	}
	if len(list.Data) > 0 && list.Data[0].OwnedBy == "vllm" {
		s.Kind = KindVLLM
		return s, nil
	}
	for _, try := range []func(context.Context, getter, *server) (bool, error){identifyLlama, identifyLMStudio, identifyOllama, identifyHealth} {
		if ok, err := try(ctx, g, s); ok || err != nil {
			return s, err
		}
	}
	return s, nil
}

// identifyHealth recognises mlx_vlm.server 0.4 (no Server header yet) by its /health.
func identifyHealth(ctx context.Context, g getter, s *server) (bool, error) {
	var health map[string]json.RawMessage
	if status, _, err := g.get(ctx, http.MethodGet, "/health", nil, &health); err != nil || status != http.StatusOK {
		return false, nil // a server without /health is not mlx_vlm.server
	}
	if _, ok := health["loaded_model"]; !ok {
		return false, nil
	}
	return true, identifyMLXVLM(ctx, g, s)
}

// identifyMLXVLM reads GET /health's loaded_model (mlx_vlm/server/app.py, health_check).
func identifyMLXVLM(ctx context.Context, g getter, s *server) error {
	s.Kind = KindMLXVLM
	var health struct {
		LoadedModel *string `json:"loaded_model"`
	}
	if _, _, err := g.get(ctx, http.MethodGet, "/health", nil, &health); err != nil {
		var auth *errAuth
		if errors.As(err, &auth) {
			return nil // the management API key guards /health: fall back to names
		}
		return err
	}
	if health.LoadedModel != nil {
		s.Loaded = *health.LoadedModel
	}
	return nil
}

// identifyLlama reads llama-server's GET /props (tools/server/server-context.cpp,
// get_res_props): modalities.vision is true when it runs with --mmproj.
func identifyLlama(ctx context.Context, g getter, s *server) (bool, error) {
	var props struct {
		Modalities *struct {
			Vision bool `json:"vision"`
		} `json:"modalities"`
		Settings json.RawMessage `json:"default_generation_settings"`
		Build    string          `json:"build_info"`
	}
	status, _, err := g.get(ctx, http.MethodGet, "/props", nil, &props)
	if answered(err) {
		// Only the model list answers while llama-server loads, and only it (with /health)
		// answers without the API key.
		s.Kind = KindLlama
		return true, err
	}
	if err != nil || status != http.StatusOK || (props.Modalities == nil && props.Settings == nil) {
		return false, nil // not llama-server
	}
	s.Kind, s.Version = KindLlama, props.Build
	if props.Modalities != nil {
		v := props.Modalities.Vision
		s.Vision = &v
	}
	return true, nil
}

// identifyLMStudio reads LM Studio's GET /api/v0/models (REST API v0, LM Studio 0.3.6+):
// type "vlm" reads images, "llm" does not; state is "loaded" or "not-loaded".
func identifyLMStudio(ctx context.Context, g getter, s *server) (bool, error) {
	var list struct {
		Data []struct {
			ID    string `json:"id"`
			Type  string `json:"type"`
			State string `json:"state"`
		} `json:"data"`
	}
	status, _, err := g.get(ctx, http.MethodGet, "/api/v0/models", nil, &list)
	if err != nil || status != http.StatusOK || len(list.Data) == 0 || list.Data[0].Type == "" {
		return false, nil // not LM Studio
	}
	s.Kind, s.Models = KindLMStudio, nil
	for _, m := range list.Data {
		if m.Type == "embeddings" {
			continue
		}
		vision := m.Type == "vlm"
		s.Models = append(s.Models, model{ID: m.ID, Vision: &vision, Loaded: m.State == "loaded"})
	}
	return true, nil
}

// maxShow bounds the POST /api/show requests for one Ollama server.
const maxShow = 32

// identifyOllama reads Ollama's GET /api/tags (server/routes.go, ListHandler), whose
// capabilities Ollama 0.30 and later fill in; for older ones it asks POST /api/show per model
// (ShowHandler; capabilities since 0.6.4).
func identifyOllama(ctx context.Context, g getter, s *server) (bool, error) {
	var tags struct {
		Models []struct {
			Name         string   `json:"name"`
			RemoteHost   string   `json:"remote_host"`
			Capabilities []string `json:"capabilities"`
		} `json:"models"`
	}
	status, _, err := g.get(ctx, http.MethodGet, "/api/tags", nil, &tags)
	if err != nil || status != http.StatusOK || tags.Models == nil {
		return false, nil // not Ollama
	}
	var version struct {
		Version string `json:"version"`
	}
	if _, _, err := g.get(ctx, http.MethodGet, "/api/version", nil, &version); err == nil {
		s.Version = version.Version
	}
	s.Kind, s.Models = KindOllama, nil
	for i, t := range tags.Models {
		caps := t.Capabilities
		if caps == nil && i < maxShow {
			var show struct {
				Capabilities []string `json:"capabilities"`
			}
			body := strings.NewReader(fmt.Sprintf(`{"model":%q}`, t.Name))
			if _, _, err := g.get(ctx, http.MethodPost, "/api/show", body, &show); err == nil {
				caps = show.Capabilities
			}
		}
		m := model{ID: t.Name}
		if caps != nil {
			vision := slices.Contains(caps, "vision")
			m.Vision, m.Thinking = &vision, slices.Contains(caps, "thinking")
		}
		s.Models = append(s.Models, m)
	}
	return true, nil
}
