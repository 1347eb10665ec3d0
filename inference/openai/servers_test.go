package openai

import (
	"bytes"
	"context"
	"log/slog"
	"strings"
	"sync"
	"testing"

	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/inference/openai/servertest"
)

// lockedBuffer is a log sink the stage's goroutines may write to.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// autoWith runs --backend auto with the double as the only local server and returns the
// describer chosen and what was logged.
func autoWith(t *testing.T, srv *servertest.Server, apiKey string) (inference.Describer, *lockedBuffer) {
	t.Helper()
	saved := LocalServers
	LocalServers = []KnownServer{{Name: srv.Kind, URL: srv.URL}}
	t.Cleanup(func() { LocalServers = saved })
	logs := &lockedBuffer{}
	d, err := inference.Open(context.Background(), inference.Options{
		Backend: inference.BackendAuto, APIKey: apiKey,
		Logger: slog.New(slog.NewTextHandler(logs, nil)),
	})
	if err != nil {
		t.Fatalf("Open: %v\n%s", err, logs.String())
	}
	return d, logs
}

var doubles = []struct {
	name string
	new  func(testing.TB, servertest.Options) *servertest.Server
}{
	{"Ollama", servertest.Ollama},
	{"llama-server", servertest.Llama},
	{"LM Studio", servertest.LMStudio},
	{"vLLM", servertest.VLLM},
	{"mlx_vlm.server", servertest.MLXVLM},
}

// TestAutoChoosesTheVisionModelOnEveryServer: each server's newest or first model reads only
// text, or its name does not look like a vision model; the server's own capability flag
// must win, and the announcement must say why.
func TestAutoChoosesTheVisionModelOnEveryServer(t *testing.T) {
	for _, dbl := range doubles {
		t.Run(dbl.name, func(t *testing.T) {
			srv := dbl.new(t, servertest.Options{})
			d, logBuf := autoWith(t, srv, "")
			logs := logBuf.String()
			want := "found " + srv.Kind + " at " + srv.URL + ", describing with " + srv.VisionModel + " ("
			if d.Info().Model != srv.VisionModel || !strings.Contains(logs, want) {
				t.Fatalf("chose %q; log:\n%s\nwant %q", d.Info().Model, logs, want)
			}
			res, err := d.Describe(context.Background(), testFrame(), nil)
			if err != nil || res.Text != servertest.Description {
				t.Fatalf("Describe: %q, %v", res.Text, err)
			}
			if srv.Unloads() != 0 {
				t.Errorf("the server unloaded its model %d times", srv.Unloads())
			}
		})
	}
}

// TestServerCases is the table of server × case from the issue: a thinking model, an error
// mid-answer, an API key, a server still loading, and the quirks of old versions.
func TestServerCases(t *testing.T) {
	type want struct {
		ok   bool     // Describe succeeds with the whole description
		errs []string // else its error contains these
		logs []string // and the log contains these
	}
	cases := []struct {
		name string
		opts servertest.Options
		key  string // API key narrator has
		by   map[string]want
	}{
		{name: "thinking model", opts: servertest.Options{Thinking: true}, by: map[string]want{
			"Ollama":         {ok: true},
			"llama-server":   {ok: true},
			"vLLM":           {ok: true},
			"mlx_vlm.server": {ok: true},
			"LM Studio":      {errs: []string{"it is a thinking model", "turn thinking off for this model in LM Studio"}},
		}},
		{name: "error mid-answer", opts: servertest.Options{FailMidStream: true}, by: map[string]want{
			"Ollama":         {errs: []string{"stream ended early", "A red ball", "Ollama ends a stream this way"}},
			"llama-server":   {errs: []string{"mid-stream", "KV cache is full"}},
			"vLLM":           {errs: []string{"mid-stream", "EngineGenerateError"}},
			"mlx_vlm.server": {errs: []string{"mid-stream", "metal::malloc"}},
			"LM Studio":      {errs: []string{"A red ball"}},
		}},
		{name: "API key required, none given", opts: servertest.Options{APIKey: "s3cret"}, by: map[string]want{
			"Ollama":       {logs: []string{"answered 401: set NARRATOR_OPENAI_API_KEY", "using the heuristic"}},
			"llama-server": {logs: []string{"answered 401: set NARRATOR_OPENAI_API_KEY", "using the heuristic"}},
			"vLLM":         {logs: []string{"answered 401: set NARRATOR_OPENAI_API_KEY", "using the heuristic"}},
			"LM Studio":    {logs: []string{"answered 401: set NARRATOR_OPENAI_API_KEY", "using the heuristic"}},
		}},
		{name: "API key given", opts: servertest.Options{APIKey: "s3cret"}, key: "s3cret", by: map[string]want{
			"Ollama": {ok: true}, "llama-server": {ok: true}, "vLLM": {ok: true}, "LM Studio": {ok: true},
		}},
		{name: "503 then ready", opts: servertest.Options{Loading: 2}, by: map[string]want{
			"Ollama":       {ok: true, logs: []string{"waiting for the model server to load the model"}},
			"llama-server": {ok: true, logs: []string{"waiting for the model server to load the model"}},
			"vLLM":         {ok: true, logs: []string{"waiting for the model server to load the model"}},
		}},
		{name: "old version", opts: servertest.Options{Old: true}, by: map[string]want{
			"Ollama":         {ok: true}, // capabilities from POST /api/show
			"mlx_vlm.server": {ok: true}, // no /v1 paths, no [DONE]
		}},
		{name: "llama-server without --mmproj", opts: servertest.Options{NoVision: true}, by: map[string]want{
			"llama-server": {logs: []string{"start llama-server with --mmproj", "using the heuristic"}},
		}},
	}
	for _, c := range cases {
		for _, dbl := range doubles {
			w, ok := c.by[dbl.name]
			if !ok {
				continue // the server has no such behaviour
			}
			t.Run(c.name+"/"+dbl.name, func(t *testing.T) {
				srv := dbl.new(t, c.opts)
				d, logBuf := autoWith(t, srv, c.key)
				var res inference.Result
				var err error
				if d.Info().IsModel {
					res, err = d.Describe(context.Background(), testFrame(), nil)
				}
				logs := logBuf.String()
				switch {
				case w.ok && (err != nil || res.Text != servertest.Description || d.Info().Model != srv.VisionModel):
					t.Fatalf("want %q from %s, got %q, %v; log:\n%s", servertest.Description, srv.VisionModel, res.Text, err, logs)
				case !w.ok && len(w.errs) > 0 && err == nil:
					t.Fatalf("want an error, got %q; log:\n%s", res.Text, logs)
				}
				for _, e := range w.errs {
					if !strings.Contains(err.Error(), e) {
						t.Errorf("error %q does not contain %q", err, e)
					}
				}
				for _, l := range w.logs {
					if !strings.Contains(logs, l) {
						t.Errorf("log does not contain %q:\n%s", l, logs)
					}
				}
			})
		}
	}
}

// TestThinkingSwitchPerServer checks the field each server takes to turn thinking off is
// sent, and only to that server.
func TestThinkingSwitchPerServer(t *testing.T) {
	wants := map[string]string{"Ollama": "reasoning_effort", "llama-server": "chat_template_kwargs", "vLLM": "chat_template_kwargs", "mlx_vlm.server": "enable_thinking", "LM Studio": ""}
	for _, dbl := range doubles {
		t.Run(dbl.name, func(t *testing.T) {
			srv := dbl.new(t, servertest.Options{Thinking: true})
			d, _ := autoWith(t, srv, "")
			_, _ = d.Describe(context.Background(), testFrame(), nil)
			chats := srv.Chats()
			if len(chats) == 0 {
				t.Fatal("no chat request")
			}
			for _, field := range []string{"reasoning_effort", "chat_template_kwargs", "enable_thinking"} {
				_, sent := chats[0].Body[field]
				if sent != (field == wants[dbl.name]) {
					t.Errorf("%s sent: %v", field, sent)
				}
			}
		})
	}
}
