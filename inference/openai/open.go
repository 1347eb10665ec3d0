package openai

import (
	"context"
	"errors"
	"fmt"
	"github.com/narrator-dev/narrator/internal/redact"
	"log/slog"
	"strings"

	"github.com/narrator-dev/narrator/inference"
)

func init() {
	inference.Register(inference.Backend{Name: inference.BackendOpenAI, Open: open, Find: find})
}

// open builds the client for the server at o.URL and says which model it chose and why. A
// server that cannot be reached is not the end of the run: the heuristic describes until it
// answers (see degrading).
func open(ctx context.Context, o inference.Options) (inference.Describer, error) {
	cfg := Config{URL: o.URL, Model: o.Model, APIKey: o.APIKey, Logger: o.Logger}
	d, err := New(ctx, cfg)
	if errors.Is(err, inference.ErrUnavailable) {
		o.Logger.Warn("backend: the model server cannot be reached; describing with the heuristic until it answers (retrying in the background)", "url", redact.URL(o.URL), "error", err)
		return inference.NewFallback(nil, reconnect(cfg), inference.NewHeuristic(), o.Logger), nil
	}
	if err != nil {
		return nil, err
	}
	o.Logger.Info("backend: chosen", "why", d.announce())
	return degrading(d, cfg, o.Logger), nil
}

// degrading wraps d so that while its server cannot be reached the heuristic describes, and it
// is asked again in the background.
func degrading(d *Describer, cfg Config, log *slog.Logger) inference.Describer {
	return inference.NewFallback(d, reconnect(cfg), inference.NewHeuristic(), log)
}

// reconnect asks the server again which it is and builds the describer when it answers.
func reconnect(cfg Config) func(context.Context) (inference.Describer, error) {
	return func(ctx context.Context) (inference.Describer, error) {
		cfg, err := cfg.withDefaults()
		if err != nil {
			return nil, err
		}
		srv, err := identify(ctx, cfg.Client, baseURL(cfg.URL), cfg.APIKey)
		if err != nil {
			return nil, redact.Error(err, redact.Secrets(cfg.URL)...)
		}
		d, err := newWith(cfg, srv)
		return d, redact.Error(err, redact.Secrets(cfg.URL)...)
	}
}

// announce says what was found and why its model was chosen.
func (o *Describer) announce() string {
	return fmt.Sprintf("%s at %s, describing with %s (%s)", o.srv.Kind, redact.URL(o.srv.URL), o.cfg.Model, o.choice.Why)
}

// find probes the usual local ports of model servers, with the API key, and uses the first
// that has a model reading images (or the one --model names); otherwise it says why not.
func find(ctx context.Context, o inference.Options) (inference.Describer, string) {
	found := Probe(ctx, LocalServers, DefaultProbeTimeout, o.APIKey)
	if len(found) == 0 {
		return nil, "no local model server answered (Ollama, llama-server, LM Studio, vLLM, mlx_vlm.server)"
	}
	var whyNot []string
	for _, s := range found {
		name := s.Name
		if s.Kind != "" {
			name = string(s.Kind)
		}
		var auth *errAuth
		if errors.As(s.Err, &auth) {
			why := fmt.Sprintf("%s at %s answered %d: set NARRATOR_OPENAI_API_KEY", name, s.URL, auth.status)
			o.Logger.Info("backend: a model server wants an API key: set NARRATOR_OPENAI_API_KEY", "server", name, "url", s.URL, "status", auth.status)
			whyNot = append(whyNot, why)
			continue
		}
		d, err := useFound(ctx, s, o)
		if err != nil {
			o.Logger.Info("backend: a model server answered but cannot be used", "server", name, "url", s.URL, "error", err)
			whyNot = append(whyNot, name+" at "+s.URL+" cannot be used")
			continue
		}
		return degrading(d, d.cfg, o.Logger), "found " + d.announce()
	}
	return nil, strings.Join(whyNot, "; ")
}

// useFound builds the describer for a server the probe found; one still loading its model is
// asked again, waiting for it.
func useFound(ctx context.Context, s FoundServer, o inference.Options) (*Describer, error) {
	cfg := Config{URL: s.URL, Model: o.Model, APIKey: o.APIKey, Logger: o.Logger}
	if s.srv == nil || s.Err != nil {
		return New(ctx, cfg)
	}
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return newWith(cfg, s.srv)
}
