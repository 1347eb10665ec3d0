package openai

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/inference/openai/servertest"
)

// modelServer is a stand-in OpenAI-compatible server: it checks every request's shape the way
// the real servers need it, then answers with a scripted body in one server's dialect.
type modelServer struct {
	t           *testing.T
	status      int
	contentType string
	body        string
	models      []string
	requests    atomic.Int32
	hang        bool
}

func (m *modelServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method == http.MethodGet && r.URL.Path == "/v1/models" {
		var list struct {
			Data []map[string]string `json:"data"`
		}
		for _, id := range m.models {
			list.Data = append(list.Data, map[string]string{"id": id, "object": "model"})
		}
		json.NewEncoder(w).Encode(list)
		return
	}
	if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
		http.NotFound(w, r)
		return
	}
	m.requests.Add(1)
	if err := checkChatRequest(r.Body); err != nil {
		m.t.Errorf("request shape: %v", err)
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if m.hang {
		<-r.Context().Done()
		return
	}
	ct := m.contentType
	if ct == "" {
		ct = "text/event-stream"
	}
	w.Header().Set("Content-Type", ct)
	if m.status != 0 {
		w.WriteHeader(m.status)
	}
	io.WriteString(w, m.body)
}

// checkChatRequest enforces the request shape from the research notes: object-form image_url
// with a JPEG data URI, a text part, max_tokens, streaming with usage.
func checkChatRequest(body io.Reader) error {
	var req struct {
		Model     string `json:"model"`
		MaxTokens *int   `json:"max_tokens"`
		Stream    bool   `json:"stream"`
		Options   struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
		Messages []struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
	}
	if err := json.NewDecoder(body).Decode(&req); err != nil {
		return err
	}
	if req.Model == "" || req.MaxTokens == nil || *req.MaxTokens <= 0 || !req.Stream || !req.Options.IncludeUsage {
		return fmt.Errorf("model %q, max_tokens %v, stream %v, include_usage %v", req.Model, req.MaxTokens, req.Stream, req.Options.IncludeUsage)
	}
	user := req.Messages[len(req.Messages)-1]
	var parts []struct {
		Type     string `json:"type"`
		Text     string `json:"text"`
		ImageURL *struct {
			URL string `json:"url"`
		} `json:"image_url"`
	}
	if user.Role != "user" || json.Unmarshal(user.Content, &parts) != nil {
		return fmt.Errorf("last message is not a user message with content parts: %s", user.Content)
	}
	var image, text bool
	for _, p := range parts {
		switch p.Type {
		case "image_url":
			if p.ImageURL == nil || !strings.HasPrefix(p.ImageURL.URL, "data:image/jpeg;base64,") {
				return fmt.Errorf("image_url must be an object with a JPEG data URI")
			}
			raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(p.ImageURL.URL, "data:image/jpeg;base64,"))
			if err != nil || len(raw) < 2 || raw[0] != 0xFF || raw[1] != 0xD8 {
				return fmt.Errorf("image is not a base64 JPEG")
			}
			image = true
		case "text":
			text = p.Text != ""
		}
	}
	if !image || !text {
		return fmt.Errorf("want an image part and a text part, got image %v text %v", image, text)
	}
	return nil
}

func sse(chunks ...string) string {
	var b strings.Builder
	for _, c := range chunks {
		b.WriteString("data: " + c + "\n\n")
	}
	return b.String()
}

func testFrame() bus.Frame {
	return bus.Frame{ID: "f1", Camera: "cam0", JPEG: []byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 1, 2, 3}}
}

func newTestOpenAI(t *testing.T, m *modelServer, cfg Config) *Describer {
	t.Helper()
	m.t = t
	srv := httptest.NewServer(m)
	t.Cleanup(srv.Close)
	cfg.URL = srv.URL
	if cfg.Model == "" && m.models == nil {
		cfg.Model = "test-vlm"
	}
	o, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	return o
}

func TestOpenAIStreamingDialects(t *testing.T) {
	cases := []struct {
		name, body, contentType string
		want                    string
		partials                int
	}{
		{"openai with usage chunk and DONE", sse(
			`{"choices":[{"index":0,"delta":{"role":"assistant","content":""}}]}`,
			`{"choices":[{"index":0,"delta":{"content":"A red"}}]}`,
			`{"choices":[{"index":0,"delta":{"content":" box."},"finish_reason":null}]}`,
			`{"choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}`,
			`{"choices":[],"usage":{"prompt_tokens":300,"completion_tokens":3}}`,
			`[DONE]`), "", "A red box.", 2},
		{"llama-server null content", sse(
			`{"choices":[{"delta":{"role":"assistant","content":null}}]}`,
			`{"choices":[{"delta":{"content":"A cat"}}]}`,
			`{"choices":[{"delta":{"content":null},"finish_reason":"stop"}]}`,
			`[DONE]`), "", "A cat", 1},
		{"finish reason without DONE (mlx_vlm.server before 0.4)", sse(
			`{"choices":[{"delta":{"content":"Two people"}}]}`,
			`{"choices":[{"delta":{"content":" talking."},"finish_reason":"stop"}]}`), "", "Two people talking.", 2},
		{"comments, CRLF and event fields", ": keep-alive\r\nevent: message\r\ndata: {\"choices\":[{\"delta\":{\"content\":\"Hi\"}}]}\r\n\r\ndata: [DONE]\r\n", "", "Hi", 1},
		{"not streamed at all", `{"choices":[{"message":{"role":"assistant","content":"A dog."},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`, "application/json", "A dog.", 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newTestOpenAI(t, &modelServer{body: c.body, contentType: c.contentType}, Config{})
			var partials []string
			res, err := o.Describe(context.Background(), testFrame(), func(s string) { partials = append(partials, s) })
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != c.want || len(partials) != c.partials {
				t.Fatalf("text %q with %d partials %q, want %q with %d", res.Text, len(partials), partials, c.want, c.partials)
			}
			if c.partials > 0 && (res.FirstTokenAt.IsZero() || partials[len(partials)-1] != c.want) {
				t.Fatalf("partials %q should end with the whole text and set FirstTokenAt", partials)
			}
		})
	}
}

func TestOpenAIErrorsSayWhatToDo(t *testing.T) {
	cases := []struct {
		name   string
		server *modelServer
		want   []string
	}{
		{"error frame mid-stream", &modelServer{body: sse(`{"choices":[{"delta":{"content":"A"}}]}`, `{"error":{"message":"out of memory","type":"server_error"}}`)},
			[]string{"mid-stream", "out of memory"}},
		{"error string frame", &modelServer{body: sse(`{"error":"model crashed"}`)}, []string{"model crashed"}},
		{"llama-server without mmproj", &modelServer{status: 500, contentType: "application/json",
			body: `{"error":{"code":500,"message":"image input is not supported - hint: if this is unexpected, you may need to provide the mmproj","type":"server_error"}}`},
			[]string{"500", "--mmproj"}},
		{"ollama refusing image URLs", &modelServer{status: 400, contentType: "application/json",
			body: `{"error":{"message":"image URLs are not currently supported, please use base64 encoded data instead","type":"invalid_request_error"}}`},
			[]string{"400", "refused the image"}},
		{"model not found", &modelServer{status: 404, contentType: "application/json", body: `{"error":{"message":"model \"test-vlm\" not found, try pulling it first"}}`},
			[]string{"ollama pull test-vlm"}},
		{"unauthorized", &modelServer{status: 401, body: "no"}, []string{"NARRATOR_OPENAI_API_KEY"}},
		{"garbage stream", &modelServer{body: "data: {not json\n\n"}, []string{"unreadable stream chunk"}},
		{"HTML page with status 200", &modelServer{contentType: "text/html; charset=utf-8", body: "<html><head><title>Captive portal</title></head><body><h1>Please log in</h1></body></html>"},
			[]string{"answered 200 with text/html", "Captive portal Please log in"}},
		{"JSON that is not a completion", &modelServer{contentType: "application/json", body: `{"status":"ok"}`}, []string{"not a chat completion", `{\"status\":\"ok\"}`}},
		{"empty answer", &modelServer{body: sse(`{"choices":[{"delta":{"content":""},"finish_reason":"stop"}]}`, `[DONE]`)}, []string{"empty description", `"stop"`}},
		{"only reasoning", &modelServer{body: sse(`{"choices":[{"delta":{"content":null,"reasoning_content":"Let me think"}}]}`, `{"choices":[{"delta":{},"finish_reason":"length"}]}`, `[DONE]`)},
			[]string{"thinking model", "12 characters of reasoning", `"length"`}},
		{"connection closed mid-answer", &modelServer{body: sse(`{"choices":[{"delta":{"content":"A red ball rests"}}]}`)}, []string{"stream ended early", "A red ball rests"}},
		{"FastAPI detail", &modelServer{status: 400, contentType: "application/json", body: `{"detail":"Failed to load model mlx-community/x: not found"}`}, []string{"400: Failed to load model mlx-community/x"}},
		{"FastAPI validation detail", &modelServer{status: 422, contentType: "application/json", body: `{"detail":[{"loc":["body","messages"],"msg":"field required","type":"missing"}]}`}, []string{"body.messages: field required"}},
		{"vLLM before 0.11", &modelServer{status: 404, contentType: "application/json", body: `{"object":"error","message":"The model ` + "`test-vlm`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`},
			[]string{"The model `test-vlm` does not exist."}},
		{"LM Studio text model", &modelServer{status: 400, contentType: "application/json", body: `{"error":"Model does not support images. Please use a model that does."}`},
			[]string{"Model does not support images", "reads only text"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := newTestOpenAI(t, c.server, Config{})
			_, err := o.Describe(context.Background(), testFrame(), nil)
			if err == nil {
				t.Fatal("no error")
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestOpenAIRetriesUnreachableServer(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	url := "http://" + l.Addr().String()
	l.Close()
	var dials atomic.Int32
	client := &http.Client{Transport: &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		dials.Add(1)
		return (&net.Dialer{}).DialContext(ctx, network, addr)
	}}}
	if _, err := New(context.Background(), Config{URL: url, Model: "m", Client: client}); !errors.Is(err, inference.ErrUnavailable) {
		t.Fatalf("New with the server down: %v, want ErrUnavailable", err)
	}
	cfg, _ := Config{URL: url, Model: "m", Retries: 2, Client: client}.withDefaults()
	o, err := newWith(cfg, &server{Kind: KindOther, URL: url})
	if err != nil {
		t.Fatal(err)
	}
	dials.Store(0)
	_, err = o.Describe(context.Background(), testFrame(), nil)
	if err == nil || !strings.Contains(err.Error(), "tried 3 times") || !errors.Is(err, inference.ErrUnavailable) {
		t.Fatalf("error %v, want one saying it tried 3 times, marked ErrUnavailable", err)
	}
	if dials.Load() != 3 {
		t.Fatalf("dialled %d times, want 3", dials.Load())
	}
}

func TestOpenAIRequestTimeout(t *testing.T) {
	m := &modelServer{hang: true}
	o := newTestOpenAI(t, m, Config{Timeout: 100 * time.Millisecond, Retries: inference.Off})
	_, err := o.Describe(context.Background(), testFrame(), nil)
	if err == nil || m.requests.Load() != 1 {
		t.Fatalf("hanging server: err %v after %d requests, want a timeout after 1", err, m.requests.Load())
	}
	// It was reached: once "reach model server … context deadline exceeded".
	if !strings.Contains(err.Error(), "accepted the request but did not answer within 100ms") || strings.Contains(err.Error(), "reach model server") ||
		errors.Is(err, inference.ErrUnavailable) {
		t.Errorf("hanging server: %v, want that it accepted the request and did not answer within 100ms (not unreachable)", err)
	}
}

func TestOpenAIPicksAVisionModel(t *testing.T) {
	o := newTestOpenAI(t, &modelServer{models: []string{"llama3.1:8b", "qwen2.5vl:3b", "llava:7b"}}, Config{})
	if got := o.Info().Model; got != "qwen2.5vl:3b" {
		t.Fatalf("picked %q, want the first vision model qwen2.5vl:3b", got)
	}
}

var _ inference.PromptDescriber = (*Describer)(nil)

func TestOpenAISendsTheGivenPrompt(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/v1/chat/completions" {
			http.NotFound(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		var raw struct {
			Messages []struct {
				Content []contentPart `json:"content"`
			} `json:"messages"`
		}
		if err := json.Unmarshal(body, &raw); err != nil || len(raw.Messages) == 0 {
			t.Errorf("request %s: %v", body, err)
		}
		for _, p := range raw.Messages[len(raw.Messages)-1].Content {
			if p.Type == "text" {
				mu.Lock()
				got = append(got, p.Text)
				mu.Unlock()
			}
		}
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, `{"choices":[{"message":{"role":"assistant","content":"Yes."},"finish_reason":"stop"}]}`)
	}))
	defer srv.Close()
	o, err := New(context.Background(), Config{URL: srv.URL, Model: "m"})
	if err != nil {
		t.Fatal(err)
	}
	f := testFrame()
	if _, err := o.DescribePrompt(context.Background(), f, "Is the door open?", nil); err != nil {
		t.Fatal(err)
	}
	if _, err := o.Describe(context.Background(), f, nil); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 2 || got[0] != "Is the door open?" || got[1] != inference.DefaultPrompt {
		t.Fatalf("prompts sent %q, want the given one, then the configured one", got)
	}
}

func TestChatEndpoint(t *testing.T) {
	for in, want := range map[string]string{
		"http://h:1":                     "http://h:1/v1/chat/completions",
		"http://h:1/":                    "http://h:1/v1/chat/completions",
		"http://h:1/v1":                  "http://h:1/v1/chat/completions",
		"http://h:1/v1/chat/completions": "http://h:1/v1/chat/completions",
		"https://api.x/v1/":              "https://api.x/v1/chat/completions",
	} {
		if got := chatEndpoint(in); got != want {
			t.Errorf("chatEndpoint(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestProbeFindsOnlyAnsweringServers(t *testing.T) {
	m := &modelServer{t: t, models: []string{"smolvlm"}}
	up := httptest.NewServer(m)
	defer up.Close()
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	down := "http://" + l.Addr().String()
	l.Close()
	found := Probe(context.Background(), []KnownServer{{"down", down}, {"up", up.URL}}, 500*time.Millisecond, "")
	if len(found) != 1 || found[0].Name != "up" || len(found[0].Models) != 1 || found[0].Models[0] != "smolvlm" {
		t.Fatalf("Probe found %+v, want only the answering server with its model", found)
	}
}

func FuzzParseStream(f *testing.F) {
	f.Add(sse(`{"choices":[{"delta":{"content":"A"}}]}`, `[DONE]`))
	f.Add(sse(`{"choices":[],"usage":{"prompt_tokens":1}}`))
	f.Add(sse(`{"error":{"message":"x"}}`))
	f.Add("data: {\"choices\":[{\"delta\":{\"content\":null}}]}\r\n")
	f.Add("data: [DONE]\ndata: {")
	f.Fuzz(func(t *testing.T, body string) {
		var last string
		res, err := parseStream(strings.NewReader(body), func(s string) {
			if !strings.HasPrefix(s, last) {
				t.Fatalf("partial %q does not extend %q", s, last)
			}
			last = s
		})
		if err == nil && res.Text != last {
			t.Fatalf("final text %q, last partial %q", res.Text, last)
		}
	})
}

// TestRefusedThinkingSwitchIsDropped: Ollama 0.11.5 to 0.12.3 refuse reasoning_effort "none";
// the request is sent again without it, and so are the following ones.
func TestRefusedThinkingSwitchIsDropped(t *testing.T) {
	var mu sync.Mutex
	var efforts []any
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body map[string]any
		_ = json.NewDecoder(r.Body).Decode(&body)
		mu.Lock()
		efforts = append(efforts, body["reasoning_effort"])
		mu.Unlock()
		if body["reasoning_effort"] != nil {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			io.WriteString(w, `{"error":{"message":"invalid reasoning value: 'none' (must be \"high\", \"medium\", or \"low\")","type":"invalid_request_error"}}`)
			return
		}
		w.Header().Set("Content-Type", "text/event-stream")
		io.WriteString(w, sse(`{"choices":[{"delta":{"content":"A cat."},"finish_reason":"stop"}]}`, `[DONE]`))
	}))
	defer srv.Close()
	cfg, _ := Config{URL: srv.URL}.withDefaults()
	thinking := true
	o, err := newWith(cfg, &server{Kind: KindOllama, URL: srv.URL, Models: []model{{ID: "qwen3-vl:2b", Vision: &thinking, Thinking: true}}})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if res, err := o.Describe(context.Background(), testFrame(), nil); err != nil || res.Text != "A cat." {
			t.Fatalf("Describe: %q, %v", res.Text, err)
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(efforts) != 3 || efforts[0] != "none" || efforts[1] != nil || efforts[2] != nil {
		t.Fatalf("reasoning_effort sent %v, want none once, then never", efforts)
	}
}

func FuzzErrorMessage(f *testing.F) {
	for _, s := range []string{`{"error":"x"}`, `{"error":{"message":"y"}}`, `{"detail":"Not Found"}`, `{"detail":[{"loc":["a",1],"msg":"m"}]}`, `{"message":"z"}`, `<html>x</html>`, `null`, `{"error":null}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		msg := errorMessage(body)
		if len(body) > 0 && len(body) < 200 && msg == "" && strings.TrimSpace(pageText(body)) != "" && !strings.HasPrefix(strings.TrimSpace(string(body)), "{") {
			t.Fatalf("no message from %q", body)
		}
	})
}

// TestServerDownAtStartDegradesAndComesBack: --backend openai with the server down narrates
// with the heuristic, says so, and switches to the model when the server answers.
func TestServerDownAtStartDegradesAndComesBack(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	logs := &lockedBuffer{}
	d, err := inference.Open(context.Background(), inference.Options{Backend: inference.BackendOpenAI, URL: "http://" + addr,
		Logger: slog.New(slog.NewTextHandler(logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	if d.Info().Backend != "heuristic" || !strings.Contains(logs.String(), "cannot be reached; describing with the heuristic") {
		t.Fatalf("describes with %+v; log:\n%s", d.Info(), logs)
	}
	if res, err := d.Describe(context.Background(), testJPEGFrame(t), nil); err != nil || res.Text == "" {
		t.Fatalf("heuristic description: %q, %v", res.Text, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.(inference.Runner).Run(ctx, nil) }()
	defer func() { cancel(); <-done }()
	l, err = net.Listen("tcp", addr)
	if err != nil {
		t.Skipf("the port was taken meanwhile: %v", err)
	}
	srv := servertest.Ollama(t, servertest.Options{Listener: l})
	bustest.Eventually(t, 10*time.Second, "the model to be used again", func() bool { return d.Info().Backend == "openai" })
	if res, err := d.Describe(context.Background(), testFrame(), nil); err != nil || res.Text != servertest.Description {
		t.Fatalf("after the server came back: %q, %v", res.Text, err)
	}
	if d.Info().Model != srv.VisionModel || !strings.Contains(logs.String(), "the model answers again") {
		t.Fatalf("model %q; log:\n%s", d.Info().Model, logs)
	}
}

// testJPEGFrame is a frame the heuristic can decode.
func testJPEGFrame(t *testing.T) bus.Frame {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = 200
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return bus.Frame{ID: "f1", Camera: "cam0", JPEG: b.Bytes(), Width: 64, Height: 48}
}
