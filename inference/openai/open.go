package openai

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/inference"
)

func init() {
	inference.Register(inference.Backend{Name: inference.BackendOpenAI, Open: open, Find: find})
}

// open builds the client for the server at o.URL.
func open(ctx context.Context, o inference.Options) (inference.Describer, error) {
	d, err := New(ctx, Config{URL: o.URL, Model: o.Model, APIKey: o.APIKey})
	if err != nil {
		return nil, err
	}
	return d, nil
}

// find probes the usual local ports of model servers and uses the first that serves a vision
// model (or any model, when o.Model names one); otherwise it says why not.
func find(ctx context.Context, o inference.Options) (inference.Describer, string) {
	for _, s := range Probe(ctx, LocalServers, 300*time.Millisecond) {
		if o.Model == "" && !slices.ContainsFunc(s.Models, IsVisionModel) {
			o.Logger.Info("backend: a model server answered, but none of its models looks like a vision model; load one (e.g. `ollama pull qwen2.5vl:3b`) or pass --model",
				"server", s.Name, "url", s.URL, "models", strings.Join(s.Models, ", "))
			continue
		}
		o.URL = s.URL
		d, err := open(ctx, o)
		if err != nil {
			o.Logger.Info("backend: a model server answered but cannot be used", "server", s.Name, "url", s.URL, "error", err)
			continue
		}
		return d, fmt.Sprintf("found %s at %s, describing with %s", s.Name, s.URL, d.Info().Model)
	}
	return nil, "no local model server answered (Ollama, llama-server, LM Studio, vLLM, mlx_vlm.server)"
}
