package inference

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"testing"
)

// withBackends replaces the registered backends for one test.
func withBackends(t *testing.T, bs ...Backend) {
	registryMu.Lock()
	saved := registry
	registry = map[string]Backend{}
	registryMu.Unlock()
	for _, b := range bs {
		Register(b)
	}
	t.Cleanup(func() {
		registryMu.Lock()
		registry = saved
		registryMu.Unlock()
	})
}

type namedDescriber struct{ *Heuristic }

func (namedDescriber) Info() Info { return Info{Backend: "fake", IsModel: true} }

func fakeBackend(name string, ready bool, calls *[]string) Backend {
	return Backend{
		Name: name,
		Open: func(_ context.Context, o Options) (Describer, error) {
			*calls = append(*calls, "open "+name+" "+o.URL)
			return namedDescriber{NewHeuristic()}, nil
		},
		Find: func(context.Context, Options) (Describer, string) {
			*calls = append(*calls, "find "+name)
			if ready {
				return namedDescriber{NewHeuristic()}, name + " is ready"
			}
			return nil, name + " is not ready"
		},
	}
}

func TestOpenChoosesAndSaysWhy(t *testing.T) {
	cases := []struct {
		name      string
		opts      Options
		mlxReady  bool
		srvReady  bool
		wantCalls string
		wantModel bool
		wantLog   string
		wantErr   string
	}{
		{name: "heuristic", opts: Options{Backend: "heuristic"}, wantCalls: ""},
		{name: "unknown", opts: Options{Backend: "gpt"}, wantErr: "--backend gpt: use one of auto, mlx, openai, ocr, heuristic"},
		{name: "named", opts: Options{Backend: "openai", URL: "http://x"}, wantCalls: "open openai http://x", wantModel: true},
		{name: "auto with a URL", opts: Options{URL: "http://x"}, mlxReady: true, wantCalls: "open openai http://x", wantModel: true, wantLog: "url=http://x"},
		{name: "auto prefers mlx", opts: Options{}, mlxReady: true, srvReady: true, wantCalls: "find mlx", wantModel: true, wantLog: `why="mlx is ready"`},
		{name: "auto then a server", opts: Options{Backend: "auto"}, srvReady: true, wantCalls: "find mlx,find openai", wantModel: true, wantLog: `why="openai is ready"`},
		{name: "auto else heuristic", opts: Options{}, wantCalls: "find mlx,find openai", wantLog: `using the heuristic describer (measures colour, brightness and change; not a model); set --openai-url to use a model server" why="mlx is not ready and openai is not ready"`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var calls []string
			withBackends(t, fakeBackend("mlx", c.mlxReady, &calls), fakeBackend("openai", c.srvReady, &calls))
			var logs bytes.Buffer
			c.opts.Logger = slog.New(slog.NewTextHandler(&logs, nil))
			d, err := Open(context.Background(), c.opts)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := strings.Join(calls, ","); got != c.wantCalls {
				t.Errorf("calls %q, want %q", got, c.wantCalls)
			}
			if d.Info().IsModel != c.wantModel {
				t.Errorf("chose %+v", d.Info())
			}
			if !strings.Contains(logs.String(), c.wantLog) {
				t.Errorf("log %q, want %q", logs.String(), c.wantLog)
			}
		})
	}
}

func TestOpenWithoutTheBackendBuiltIn(t *testing.T) {
	withBackends(t)
	if _, err := Open(context.Background(), Options{Backend: "mlx"}); err == nil || !strings.Contains(err.Error(), "built without") {
		t.Fatalf("err %v", err)
	}
	d, err := Open(context.Background(), Options{Logger: slog.New(slog.DiscardHandler)})
	if err != nil || d.Info().Backend != "heuristic" {
		t.Fatalf("auto with no backends: %v, %v", d, err)
	}
}
