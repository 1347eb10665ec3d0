package openai

import (
	"context"
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

// DefaultProbeTimeout bounds each request of the probe of a local port.
const DefaultProbeTimeout = 300 * time.Millisecond

// FoundServer is a server that answered the probe.
type FoundServer struct {
	KnownServer
	Kind   Kind     // which server it turned out to be
	Models []string // the models it lists
	// Err is set when the server answered but cannot be used as it is: it wants an API key
	// (answered 401) or is still loading its model (503).
	Err error

	srv *server
}

// Probe identifies the server at each address at once, each request within timeout, with
// apiKey (if any) as a bearer token, and returns those that answered, in the order given.
func Probe(ctx context.Context, servers []KnownServer, timeout time.Duration, apiKey string) []FoundServer {
	client := &http.Client{Timeout: timeout}
	found := make([]*FoundServer, len(servers))
	var wg sync.WaitGroup
	for i, s := range servers {
		wg.Go(func() {
			srv, err := identify(ctx, client, baseURL(s.URL), apiKey)
			if srv == nil && !answered(err) {
				return
			}
			f := &FoundServer{KnownServer: s, Err: err, srv: srv}
			if srv != nil {
				f.Kind = srv.Kind
				for _, m := range srv.Models {
					f.Models = append(f.Models, m.ID)
				}
			}
			found[i] = f
		})
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

// visionHints are substrings of model ids that usually read images.
var visionHints = []string{"vl", "vision", "llava", "fastvlm", "smolvlm", "moondream", "gemma3", "gemma-3", "minicpm-v", "pixtral", "bakllava", "idefics", "florence", "paligemma", "internvl", "molmo", "mmproj"}

// IsVisionModel guesses from its id whether a model reads images. It is the last resort:
// the servers that say what their models can do are asked first.
func IsVisionModel(id string) bool {
	id = strings.ToLower(id)
	for _, h := range visionHints {
		if strings.Contains(id, h) {
			return true
		}
	}
	return false
}
