//go:build unix

package mlx

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"image"
	"image/color"
	"image/jpeg"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"

	"github.com/narrator-dev/narrator/inference"
)

// These tests run the real worker script (worker/narrator_worker.py) under python3 against the
// stand-in mlx_vlm package in testdata/, which records how it was called and misbehaves on
// request (testdata/README.md).

const standinText = "A person sits at a desk in front of a laptop."

// mlxHarness is one supervised worker under test.
type mlxHarness struct {
	t       *testing.T
	m       *Describer
	dir     string
	record  string // the stand-in's call log
	genFile string // the stand-in's per-generation misbehaviour
	logs    *bustest.SyncBuffer
	cancel  context.CancelFunc
	runErr  chan error
	pids    map[int]bool
	mu      sync.Mutex
}

func standinPath(t testing.TB) string {
	t.Helper()
	p, err := filepath.Abs("testdata")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func python3(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed to run the worker script (scripts/install-deps --test installs it)")
	}
	return p
}

// writeModelDir makes a folder that looks like a downloaded mlx model.
func writeModelDir(t testing.TB, dir string) string {
	t.Helper()
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"config.json": `{"model_type":"llava_qwen2","eos_token_id":151645}`, "model.safetensors": "weights"} {
		if err := os.WriteFile(filepath.Join(model, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return model
}

// newHarness builds an MLX backend on the stand-in; edit adjusts its config.
func newHarness(t *testing.T, edit func(*Config)) *mlxHarness {
	t.Helper()
	dir := t.TempDir()
	h := &mlxHarness{t: t, dir: dir, record: filepath.Join(dir, "record.jsonl"), genFile: filepath.Join(dir, "generate"),
		logs: &bustest.SyncBuffer{}, pids: map[int]bool{}}
	cfg := Config{
		Model: "test/FastVLM", ModelPath: writeModelDir(t, dir), DataDir: dir, Python: python3(t),
		Env:         []string{"PYTHONPATH=" + standinPath(t), "FAKE_MLX_VLM_RECORD=" + h.record, "FAKE_MLX_VLM_GENERATE_FILE=" + h.genFile},
		LoadTimeout: 20 * time.Second, RequestTimeout: 20 * time.Second, BackoffMin: 10 * time.Millisecond, BackoffMax: 40 * time.Millisecond,
		Logger: slog.New(slog.NewTextHandler(h.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	if edit != nil {
		edit(&cfg)
	}
	m, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	h.m = m
	t.Cleanup(func() {
		if t.Failed() {
			t.Logf("supervisor and worker log:\n%s", h.logs.String())
		}
	})
	return h
}

// start runs the supervisor; the test's cleanup stops it and checks that no worker process
// (nor its group) is left behind.
func (h *mlxHarness) start(conn *bus.Conn) {
	ctx, cancel := context.WithCancel(context.Background())
	h.cancel = cancel
	h.runErr = make(chan error, 1)
	stopWatch := make(chan struct{})
	watchDone := make(chan struct{})
	go func() { // remember every worker pid, to check each one's group is gone at the end
		defer close(watchDone)
		for {
			if pid := h.m.PID(); pid != 0 {
				h.mu.Lock()
				h.pids[pid] = true
				h.mu.Unlock()
			}
			select {
			case <-stopWatch:
				return
			case <-time.After(2 * time.Millisecond):
			}
		}
	}()
	go func() { h.runErr <- h.m.Run(ctx, conn) }()
	h.t.Cleanup(func() {
		h.stop()
		close(stopWatch)
		<-watchDone
		h.mu.Lock()
		defer h.mu.Unlock()
		if len(h.pids) == 0 {
			h.t.Error("no worker process was ever seen")
		}
		for pid := range h.pids {
			if groupAlive(pid) {
				h.t.Errorf("worker process group %d is still alive after Run returned", pid)
				_ = killGroup(pid)
			}
		}
	})
}

// stop cancels Run and returns its error.
func (h *mlxHarness) stop() error {
	h.cancel()
	select {
	case err := <-h.runErr:
		h.runErr <- err
		return err
	case <-time.After(15 * time.Second):
		h.t.Fatal("Run did not return within 15s of its context ending")
		return nil
	}
}

// waitRun waits for Run to return on its own (a fatal failure).
func (h *mlxHarness) waitRun() error {
	h.t.Helper()
	select {
	case err := <-h.runErr:
		h.runErr <- err
		return err
	case <-time.After(30 * time.Second):
		h.t.Fatalf("Run did not stop; state %q", h.m.State())
		return nil
	}
}

func (h *mlxHarness) waitState(state string) {
	h.t.Helper()
	bustest.Eventually(h.t, 30*time.Second, "worker state "+state, func() bool { return h.m.State() == state })
}

func (h *mlxHarness) misbehave(mode string) {
	h.t.Helper()
	if err := os.WriteFile(h.genFile, []byte(mode), 0o644); err != nil {
		h.t.Fatal(err)
	}
}

// calls returns the stand-in's recorded calls of fn.
func (h *mlxHarness) calls(fn string) []map[string]any {
	h.t.Helper()
	f, err := os.Open(h.record)
	if err != nil {
		h.t.Fatalf("no stand-in record: %v", err)
	}
	defer f.Close()
	var out []map[string]any
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		if err := json.Unmarshal(sc.Bytes(), &m); err != nil {
			h.t.Fatalf("record line %q: %v", sc.Text(), err)
		}
		if m["fn"] == fn {
			out = append(out, m)
		}
	}
	return out
}

func (h *mlxHarness) describe(f bus.Frame) (inference.Result, []string, error) {
	h.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var partials []string
	res, err := h.m.Describe(ctx, f, func(s string) { partials = append(partials, s) })
	return res, partials, err
}

// testJPEG encodes a w×h image; noisy images compress badly, which makes big payloads.
func testJPEG(t testing.TB, w, h int, noisy bool, quality int) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r := rand.New(rand.NewPCG(1, 2))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			c := color.RGBA{uint8(x), uint8(y), 128, 255}
			if noisy {
				c = color.RGBA{uint8(r.IntN(256)), uint8(r.IntN(256)), uint8(r.IntN(256)), 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: quality}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func mlxFrame(t testing.TB) bus.Frame {
	return bus.Frame{ID: bus.NewID(), Camera: "cam0", Seq: 1, CapturedAt: time.Now(), Width: 64, Height: 48, JPEG: testJPEG(t, 64, 48, false, 80)}
}

func workerError(t *testing.T, err error) *WorkerError {
	t.Helper()
	var we *WorkerError
	if !errors.As(err, &we) {
		t.Fatalf("error %v (%T) is not a *WorkerError", err, err)
	}
	return we
}

var _ inference.PromptDescriber = (*Describer)(nil)
var _ inference.Runner = (*Describer)(nil)

func TestMLXReadyStreamsAndCallsMLXVLMRight(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	conn := bustest.Conn(t, srv, "test")
	states := bustest.Collect[bus.WorkerState](t, conn, bus.SubjectWorkers, 16)
	h := newHarness(t, func(c *Config) { c.MaxTokens = 48; c.System = "Be brief." })
	h.start(conn)

	starting := bustest.Next(t, states, 30*time.Second)
	ready := bustest.Next(t, states, 30*time.Second)
	if starting.State != bus.WorkerStarting || ready.State != bus.WorkerReady {
		t.Fatalf("states %q then %q, want starting then ready", starting.State, ready.State)
	}
	if ready.Versions["mlx_vlm"] != "0.6.15" || ready.PID == 0 || ready.Model != "test/FastVLM" || ready.Backend != "mlx" {
		t.Errorf("ready event %+v: want mlx_vlm 0.6.15, a pid, the model and the backend", ready)
	}

	f := mlxFrame(t)
	h.misbehave("slow:0.02") // pieces 20 ms apart, so the stream is seen piece by piece
	res, partials, err := h.describe(f)
	if err != nil {
		t.Fatal(err)
	}
	if res.Text != standinText {
		t.Errorf("text %q, want %q", res.Text, standinText)
	}
	if len(partials) < 2 {
		t.Errorf("partials %q: want the text streamed in pieces", partials)
	}
	for i, p := range partials {
		if !strings.HasPrefix(standinText, p) || (i > 0 && len(p) <= len(partials[i-1])) {
			t.Errorf("partials %q: want growing prefixes of the text", partials)
			break
		}
	}
	if res.FirstTokenAt.IsZero() || res.Metadata["finish_reason"] != "stop" || res.Metadata["generation_tokens"] != 11 {
		t.Errorf("result %+v: want a first-token time, finish_reason stop and 11 tokens", res)
	}

	gens := h.calls("stream_generate")
	if len(gens) != 2 {
		t.Fatalf("%d stream_generate calls, want the warm-up and one request", len(gens))
	}
	if gens[0]["max_tokens"] != 1.0 {
		t.Errorf("warm-up max_tokens %v, want 1", gens[0]["max_tokens"])
	}
	g := gens[1]
	if g["max_tokens"] != 48.0 || g["temperature"] != 0.0 || g["top_p"] != 1.0 {
		t.Errorf("request sampling %v/%v/%v, want max_tokens 48, temperature 0, top_p 1", g["max_tokens"], g["temperature"], g["top_p"])
	}
	if g["image_type"] != "str" || g["image_form"] != "data_uri" || g["image_media"] != "data:image/jpeg;base64" || g["image_bytes"] != float64(len(f.JPEG)) {
		t.Errorf("image passed as %v %v %v of %v bytes, want a str JPEG data URI of %d bytes", g["image_type"], g["image_form"], g["image_media"], g["image_bytes"], len(f.JPEG))
	}
	for _, c := range gens {
		if c["stale_stopping_criteria"] != false {
			t.Errorf("stream_generate ran with stopping criteria left from the previous call: %v", c)
		}
	}
	if n := len(h.calls("stopping_criteria.reset")); n != len(gens) {
		t.Errorf("stopping criteria reset %d times for %d generations", n, len(gens))
	}
	// Each prompt is formatted for one image, and once more for none: the image-slot check.
	tmpl := h.calls("apply_chat_template")
	var withImage []map[string]any
	for _, c := range tmpl {
		if c["num_images"] == 1.0 {
			withImage = append(withImage, c)
		} else if c["num_images"] != 0.0 {
			t.Errorf("apply_chat_template num_images %v, want 1 (or 0 for the slot check)", c["num_images"])
		}
	}
	if len(withImage) != 2 || len(tmpl) != 4 {
		t.Fatalf("%d apply_chat_template calls, %d with an image; want 4, 2 (the warm-up's and the request's)", len(tmpl), len(withImage))
	}
	msgs, _ := json.Marshal(withImage[1]["messages"])
	if want := `[{"content":"Be brief.","role":"system"},{"content":"` + inference.DefaultPrompt + `","role":"user"}]`; string(msgs) != want {
		t.Errorf("messages %s, want %s", msgs, want)
	}
	if _, err := h.m.DescribePrompt(context.Background(), f, "Is anyone there?", nil); err != nil {
		t.Fatal(err)
	}
	tmpl = h.calls("apply_chat_template")
	if msgs, _ := json.Marshal(tmpl[len(tmpl)-1]["messages"]); !strings.Contains(string(msgs), `"content":"Is anyone there?","role":"user"`) {
		t.Errorf("DescribePrompt sent %s, want the given prompt", msgs)
	}
	if loads := h.calls("load"); len(loads) != 1 || loads[0]["path"] != h.m.cfg.ModelPath {
		t.Errorf("load calls %v, want one with the model folder", loads)
	}

	if err := h.stop(); err != nil {
		t.Errorf("Run returned %v after its context ended, want nil", err)
	}
	stopped := bustest.Next(t, states, 10*time.Second)
	if stopped.State != bus.WorkerStopped {
		t.Errorf("last state %q, want stopped", stopped.State)
	}
}

func TestMLXWorkerEnvironment(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, nil)
	h.start(nil)
	h.waitState(bus.WorkerReady)
	env := readEnviron(t, h.m.PID())
	for _, want := range []string{"HF_HOME=" + filepath.Join(h.dir, "huggingface"), "HF_HUB_OFFLINE=1", "PYTHONUNBUFFERED=1", "HF_HUB_DISABLE_TELEMETRY=1"} {
		if !env[want] {
			t.Errorf("worker environment lacks %s", want)
		}
	}
}

// readEnviron reads a process's environment (Linux /proc; skipped elsewhere).
func readEnviron(t *testing.T, pid int) map[string]bool {
	data, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "environ"))
	if err != nil {
		t.Skipf("cannot read the worker's environment here: %v", err)
	}
	out := map[string]bool{}
	for _, kv := range bytes.Split(data, []byte{0}) {
		out[string(kv)] = true
	}
	return out
}

func itoa(n int) string {
	b, _ := json.Marshal(n)
	return string(b)
}

func TestMLXLibraryPrintsDoNotCorruptTheProtocol(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, func(c *Config) { c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=print") })
	h.start(nil)
	h.waitState(bus.WorkerReady)
	h.misbehave("garbage") // print() and a raw write to fd 1 during generation
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
		t.Fatalf("describe: %q, %v", res.Text, err)
	}
	if n := h.m.invalid.Load(); n != 0 {
		t.Errorf("%d invalid protocol lines: library output reached the protocol", n)
	}
	if !strings.Contains(h.logs.String(), "a native write to fd 1") {
		t.Errorf("the library's fd-1 write did not reach stderr (and the log)")
	}
}

func TestMLXGarbageOnStdoutIsCountedNotFatal(t *testing.T) {
	leakCheck(t)
	dir := t.TempDir()
	shim := filepath.Join(dir, "python")
	// An interpreter wrapper that prints a banner and worse on the real stdout before the worker starts.
	script := "#!/bin/sh\necho 'welcome to python'\nprintf '{\"event\":\"nonsense\"}\\n{not json\\n'\n" +
		"head -c 2200000 /dev/zero | tr '\\0' x; echo\nexec " + python3(t) + " \"$@\"\n"
	if err := os.WriteFile(shim, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	h := newHarness(t, func(c *Config) { c.Python = shim })
	h.start(nil)
	h.waitState(bus.WorkerReady)
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
		t.Fatalf("describe after garbage: %q, %v", res.Text, err)
	}
	if n := h.m.invalid.Load(); n != 4 {
		t.Errorf("%d invalid lines counted, want 4 (a banner, an unknown event, broken JSON, a 2.2 MB line)", n)
	}
	// Once one warning per line (852 in 30 s from a chatty library): now one, then a count.
	if n := strings.Count(h.logs.String(), "not a protocol event"); n != 1 {
		t.Errorf("%d warnings about invalid lines, want 1 (rate-limited)", n)
	}
}

func TestMLXTimeoutKillsAndRestarts(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, func(c *Config) { c.RequestTimeout = 700 * time.Millisecond })
	h.start(nil)
	h.waitState(bus.WorkerReady)
	first := h.m.PID()
	h.misbehave("once:hang")
	_, _, err := h.describe(mlxFrame(t))
	if we := workerError(t, err); we.Code != "timeout" {
		t.Fatalf("error code %q, want timeout", we.Code)
	}
	bustest.Eventually(t, 30*time.Second, "a new ready worker", func() bool {
		return h.m.State() == bus.WorkerReady && h.m.PID() != first
	})
	if groupAlive(first) {
		t.Errorf("the hung worker's process group %d is still alive", first)
	}
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
		t.Fatalf("describe after restart: %q, %v", res.Text, err)
	}
	if h.m.timeouts.Load() != 1 || h.m.restarts.Load() != 1 {
		t.Errorf("timeouts %d restarts %d, want 1 and 1", h.m.timeouts.Load(), h.m.restarts.Load())
	}
}

func TestMLXCrashRestarts(t *testing.T) {
	leakCheck(t)
	for _, tc := range []struct{ mode, code string }{
		{"once:crash", "crashed"},
		{"once:oom", "out_of_memory"},
	} {
		t.Run(tc.mode, func(t *testing.T) {
			srv := bustest.Server(t)
			conn := bustest.Conn(t, srv, "test")
			states := bustest.Collect[bus.WorkerState](t, conn, bus.SubjectWorkers, 16)
			h := newHarness(t, nil)
			h.start(conn)
			h.waitState(bus.WorkerReady)
			first := h.m.PID()
			h.misbehave(tc.mode)
			_, _, err := h.describe(mlxFrame(t))
			we := workerError(t, err)
			if we.Code != tc.code || we.Fatal {
				t.Fatalf("error %+v, want code %s, not fatal", we, tc.code)
			}
			bustest.Eventually(t, 30*time.Second, "a new ready worker", func() bool {
				return h.m.State() == bus.WorkerReady && h.m.PID() != first
			})
			if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
				t.Fatalf("describe after restart: %q, %v", res.Text, err)
			}
			var seen []string
			for len(seen) < 5 {
				s := bustest.Next(t, states, 10*time.Second)
				seen = append(seen, s.State)
				if s.State == bus.WorkerRestarting && (s.Code != tc.code || s.Reason == "" || s.RetryInMS <= 0) {
					t.Errorf("restarting event %+v: want code %s, a reason and a retry delay", s, tc.code)
				}
			}
			if want := "starting ready restarting starting ready"; strings.Join(seen, " ") != want {
				t.Errorf("states %q, want %q", seen, want)
			}
		})
	}
}

func TestMLXGenerationErrors(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, nil)
	h.start(nil)
	h.waitState(bus.WorkerReady)
	pid := h.m.PID()
	h.misbehave("once:error:something odd happened")
	_, _, err := h.describe(mlxFrame(t))
	if we := workerError(t, err); we.Code != "generation_failed" || we.Fatal || !strings.Contains(we.Error(), "something odd happened") {
		t.Fatalf("error %+v, want generation_failed with the detail, not fatal", we)
	}
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText || h.m.PID() != pid {
		t.Fatalf("the same worker should go on: %q, %v", res.Text, err)
	}
	// A known failure that every later request would hit stops the backend with its fix.
	h.misbehave("error:uint32")
	_, _, err = h.describe(mlxFrame(t))
	if we := workerError(t, err); we.Code != "quantized_old" || !we.Fatal {
		t.Fatalf("error %+v, want quantized_old, fatal", we)
	}
	if err := h.waitRun(); err == nil || !strings.Contains(err.Error(), "0.6.0") {
		t.Errorf("Run returned %v, want the quantized_old advice", err)
	}
}

func TestMLXKnownLoadFailuresBecomeAdvice(t *testing.T) {
	leakCheck(t)
	cases := []struct {
		name, code, advice string
		edit               func(*Config)
	}{
		{"coreml", "coreml_export", "mlx-community/FastVLM-0.5B-bf16", nil},
		{"too_old", "mlx_vlm_too_old", "narrator setup", nil},
		{"fast_vlm", "transformers_checkpoint", "mlx-community/FastVLM-0.5B-bf16", nil},
		{"mismatch", "weights_mismatch", "weight layout", nil},
		{"uint32", "quantized_old", "0.6.0", nil},
		{"offline", "not_downloaded", "narrator setup", nil},
		{"incomplete", "incomplete_download", "resumes", nil},
		{"not_found", "model_not_found", "not found", nil},
		{"gated", "model_not_found", "access", nil},
		{"version", "mlx_vlm_too_old", "0.3.12", func(c *Config) { c.Env = append(c.Env, "FAKE_MLX_VLM_VERSION=0.3.11") }},
		// mlx's load_weights names the parameters, and they can contain reparam_conv: not a Core ML export.
		{"mismatch_reparam", "weights_mismatch", "weight layout", nil},
		{"missing_params", "weights_mismatch", "weight layout", nil},
		{"timm", "processor_needs_torch", "PyTorch and timm", nil},
		{"torch", "processor_needs_torch", "0.3.12", nil},
		{"no image slot", "no_image_slot", "never see the frames", func(c *Config) {
			c.ModelPath = writeModelType(t, t.TempDir(), "gemma3_text")
		}},
		{"partial install", "mlx_vlm_missing", "repairs the environment", func(c *Config) {
			c.Env = append(c.Env, "PYTHONPATH="+partialInstall(t))
		}},
		{"missing", "mlx_vlm_missing", "narrator setup", func(c *Config) { c.Env = append(c.Env, "PYTHONPATH="+c.DataDir) }},
		{"not downloaded", "not_downloaded", "narrator setup", func(c *Config) { c.ModelPath = "mlx-community/never-downloaded" }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			srv := bustest.Server(t)
			conn := bustest.Conn(t, srv, "test")
			states := bustest.Collect[bus.WorkerState](t, conn, bus.SubjectWorkers, 16)
			h := newHarness(t, func(c *Config) {
				if tc.edit != nil {
					tc.edit(c)
				} else {
					c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=error:"+tc.name)
				}
			})
			h.start(conn)
			err := h.waitRun()
			we := workerError(t, err)
			if we.Code != tc.code || !we.Fatal || !strings.Contains(err.Error(), tc.advice) {
				t.Errorf("Run: %v (code %s), want code %s with %q", err, we.Code, tc.code, tc.advice)
			}
			if strings.Contains(err.Error(), "Traceback") {
				t.Errorf("a traceback reached the user: %v", err)
			}
			if tc.name == "no image slot" && !strings.Contains(err.Error(), "'gemma3_text'") {
				t.Errorf("Run: %v, want the model type named", err)
			}
			var last bus.WorkerState
			for last.State != bus.WorkerFailed {
				last = bustest.Next(t, states, 10*time.Second)
			}
			if last.Code != tc.code || !strings.Contains(last.Reason, tc.advice) {
				t.Errorf("failed event %+v, want code %s and the advice", last, tc.code)
			}
			if _, err := h.m.Describe(context.Background(), mlxFrame(t), nil); !errors.Is(err, we) {
				t.Errorf("Describe after failure: %v, want the failure", err)
			}
		})
	}
}

func TestMLXLoadTimeoutGivesUpAfterMaxStarts(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, func(c *Config) {
		c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=slow:60")
		c.LoadTimeout = 300 * time.Millisecond
		c.MaxFailedStarts = 2
	})
	h.start(nil)
	err := h.waitRun()
	// Once said "…; the worker restarts; gave up after 2 failed starts".
	if we := workerError(t, err); we.Code != "load_timeout" || !strings.Contains(err.Error(), "2 starts in a row failed") || strings.Contains(err.Error(), "restarts") {
		t.Fatalf("Run: %v, want load_timeout after 2 failed starts, and no claim that it restarts", err)
	}
	if h.m.restarts.Load() != 1 {
		t.Errorf("%d restarts, want 1", h.m.restarts.Load())
	}
}

func TestMLXShutdownWhileLoadingLeavesNoProcess(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, func(c *Config) { c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=hang") })
	h.start(nil)
	h.waitState(bus.WorkerStarting)
	bustest.Eventually(t, 10*time.Second, "the stand-in's load call", func() bool {
		_, err := os.Stat(h.record)
		return err == nil
	})
	if err := h.stop(); err != nil {
		t.Fatalf("Run: %v", err)
	}
	// The cleanup checks that the worker's process group is gone.
}

func TestMLXCancelStopsGenerationAndKeepsTheWorker(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, nil)
	h.start(nil)
	h.waitState(bus.WorkerReady)
	pid := h.m.PID()
	h.misbehave("slow:0.3") // 11 pieces, 3.3 s in all
	ctx, cancel := context.WithCancel(context.Background())
	got := make(chan error, 1)
	go func() {
		_, err := h.m.Describe(ctx, mlxFrame(t), func(string) { cancel() })
		got <- err
	}()
	select {
	case err := <-got:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("Describe: %v, want context.Canceled", err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("Describe did not return after its context was cancelled")
	}
	h.misbehave("")
	// The next request waits until the worker has stopped the cancelled one, then runs on
	// the same process.
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
		t.Fatalf("describe after cancel: %q, %v", res.Text, err)
	}
	if h.m.PID() != pid || h.m.restarts.Load() != 0 {
		t.Errorf("the worker restarted (pid %d → %d); a cancel must not cost a restart", pid, h.m.PID())
	}
}

func TestStageRunsTheMLXWorker(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "camera")
	watch := bustest.Conn(t, srv, "watch")
	descs := bustest.Collect[bus.Description](t, watch, bus.AllDescriptions, 64)
	h := newHarness(t, nil)
	st, err := inference.New(bustest.Conn(t, srv, "inference"), inference.Config{Describer: h.m})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	watched := map[int]bool{}
	bustest.Eventually(t, 30*time.Second, "worker ready", func() bool {
		if pid := h.m.PID(); pid != 0 {
			watched[pid] = true
		}
		return h.m.State() == bus.WorkerReady
	})
	if err := pub.PublishFrame(mlxFrame(t)); err != nil {
		t.Fatal(err)
	}
	var final bus.Description
	partials := 0
	for {
		d := bustest.Next(t, descs, 30*time.Second)
		if !d.Partial {
			final = d
			break
		}
		partials++
	}
	if final.Text != standinText || final.Backend != "mlx" || !final.IsModel || final.Error != "" || partials == 0 {
		t.Errorf("final %+v after %d partials: want the stand-in's text from a model backend, streamed", final, partials)
	}
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("stage Run: %v", err)
		}
	case <-time.After(15 * time.Second):
		t.Fatal("the stage did not stop within 15s")
	}
	for pid := range watched {
		if groupAlive(pid) {
			t.Errorf("worker group %d alive after the stage stopped", pid)
			_ = killGroup(pid)
		}
	}
}

func TestStageStopsWithTheWorkersFatalError(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	h := newHarness(t, func(c *Config) { c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=error:coreml") })
	st, err := inference.New(bustest.Conn(t, srv, "inference"), inference.Config{Describer: h.m})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- st.Run(context.Background()) }()
	select {
	case err := <-done:
		if we := workerError(t, err); we.Code != "coreml_export" {
			t.Errorf("stage Run: %v, want the coreml_export advice", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("the stage did not stop on the worker's fatal error")
	}
}

func TestNewMLXWithoutPython(t *testing.T) {
	_, err := New(Config{DataDir: t.TempDir(), ModelPath: t.TempDir(), Python: "/nonexistent/python3"})
	if we := workerError(t, err); we.Code != "no_python" || !strings.Contains(err.Error(), "narrator setup") || !strings.Contains(err.Error(), "--worker-python") {
		t.Errorf("New: %v, want no_python with both fixes", err)
	}
	_, err = New(Config{DataDir: t.TempDir(), Python: python3(t), Model: "org/not-downloaded"})
	if we := workerError(t, err); we.Code != "not_downloaded" || !strings.Contains(err.Error(), "narrator setup --model org/not-downloaded") {
		t.Errorf("New: %v, want not_downloaded with the setup command", err)
	}
}
