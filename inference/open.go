package inference

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"github.com/narrator-dev/narrator/bus"
)

// Backend names. BackendAuto picks the first backend that is ready here.
const (
	BackendAuto      = "auto"
	BackendHeuristic = "heuristic"
	BackendMLX       = "mlx"
	BackendOpenAI    = "openai"
	// BackendOCR reads text instead of describing (package reading registers it); --backend
	// auto never picks it.
	BackendOCR = bus.BackendOCR
	// DefaultBackend is what Open builds when Options.Backend is empty.
	DefaultBackend = BackendAuto
)

// Backends are the names Options.Backend takes, in the order --backend auto tries the model
// backends (the heuristic is the last resort).
var Backends = []string{BackendAuto, BackendMLX, BackendOpenAI, BackendOCR, BackendHeuristic}

// Options say which describer Open builds.
type Options struct {
	// Backend is one of Backends. Default: DefaultBackend.
	Backend string
	// Model is the model id; "" lets the backend choose.
	Model string
	// URL is an OpenAI-compatible model server. With Backend auto, naming one chooses it.
	URL string
	// APIKey is sent to the model server as a bearer token. Default: none.
	APIKey string
	// Python is the mlx worker's interpreter. Default: the environment `narrator setup` made.
	Python string
	// Lang is the text reader's languages for --backend ocr (--ocr-lang). Default: the reader's.
	Lang string
	// Counters receives the backend's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the choice is announced and the backend logs. Default: slog.Default().
	Logger *slog.Logger
}

// Backend is a model backend that Options.Backend can name. The backends register themselves
// when their package is imported (inference/mlx, inference/openai), as image formats do with
// image.RegisterFormat: this package holds the contract they implement, so it cannot import
// them. A program offers the backends it imports.
type Backend struct {
	// Name is what Options.Backend says to choose it.
	Name string
	// Open builds the describer as --backend Name asks; its errors say what to do.
	Open func(ctx context.Context, o Options) (Describer, error)
	// Find builds the describer for --backend auto when it is ready to use here, and says what
	// it found. When it is not ready, Find returns nil and why not, in words for the user.
	Find func(ctx context.Context, o Options) (d Describer, why string)
	// DefaultModel is the model it uses when Options.Model is empty, for --model's help; ""
	// when it has none of its own (the server chooses).
	DefaultModel string
}

var (
	registryMu sync.Mutex
	registry   = map[string]Backend{}
)

// Register makes a backend available to Open. It panics on a name registered twice or one
// that is not in Backends.
func Register(b Backend) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[b.Name]; dup || !slices.Contains(Backends, b.Name) || b.Name == BackendAuto || b.Name == BackendHeuristic {
		panic("inference: cannot register backend " + b.Name)
	}
	registry[b.Name] = b
}

func registered(name string) (Backend, bool) {
	registryMu.Lock()
	defer registryMu.Unlock()
	b, ok := registry[name]
	return b, ok
}

// Open builds the describer Options.Backend names. For auto it uses the server named by URL
// if there is one; otherwise the first backend that is ready here, in the order mlx (after
// `narrator setup` on Apple Silicon), then a local OpenAI-compatible model server, then the
// heuristic describer. It announces on Logger what it chose and why.
func Open(ctx context.Context, o Options) (Describer, error) {
	if o.Backend == "" {
		o.Backend = DefaultBackend
	}
	if o.Counters == nil {
		o.Counters = bus.NewCounters()
	}
	if o.Logger == nil {
		o.Logger = slog.Default()
	}
	switch o.Backend {
	case BackendHeuristic:
		return NewHeuristic(), nil
	case BackendAuto:
		return auto(ctx, o)
	}
	b, err := backend(o.Backend)
	if err != nil {
		return nil, err
	}
	return b.Open(ctx, o)
}

// backend returns the registered backend name.
func backend(name string) (Backend, error) {
	if !slices.Contains(Backends, name) {
		return Backend{}, fmt.Errorf("--backend %s: use one of %s", name, strings.Join(Backends, ", "))
	}
	b, ok := registered(name)
	if !ok {
		return Backend{}, fmt.Errorf("--backend %s: this program is built without that backend", name)
	}
	return b, nil
}

// auto chooses for --backend auto and says why.
func auto(ctx context.Context, o Options) (Describer, error) {
	if o.URL != "" {
		b, err := backend(BackendOpenAI)
		if err != nil {
			return nil, err
		}
		o.Logger.Info("backend: using the model server --openai-url names", "url", o.URL)
		return b.Open(ctx, o)
	}
	var whyNot []string
	for _, name := range []string{BackendMLX, BackendOpenAI} {
		b, ok := registered(name)
		if !ok {
			continue
		}
		d, why := b.Find(ctx, o)
		if d != nil {
			o.Logger.Info("backend: chosen", "why", why)
			return d, nil
		}
		whyNot = append(whyNot, why)
	}
	if len(whyNot) == 0 {
		whyNot = append(whyNot, "no model backend is built into this program")
	}
	o.Logger.Info("backend: using the heuristic describer (measures colour, brightness and change; not a model); set --openai-url to use a model server", "why", strings.Join(whyNot, " and "))
	return NewHeuristic(), nil
}
