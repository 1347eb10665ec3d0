//go:build unix

package mlx

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
)

var eventCases = []struct {
	line  string
	event string // "" when the line is garbage
}{
	{`{"event":"ready","protocol":1,"pid":7,"versions":{"mlx_vlm":"0.6.15"},"load_s":1.5,"warmup_s":0.2}`, "ready"},
	{`{"event":"ready","protocol":2}`, ""},
	{`{"event":"delta","id":"a","text":" cat"}`, "delta"},
	{`{"event":"delta","text":"no id"}`, ""},
	{`{"event":"done","id":"a","text":"A cat.","finish_reason":"stop","generation_tokens":3,"model_ttft_s":null}`, "done"},
	{`{"event":"error","id":"a","code":"generation_failed","message":"boom","fatal":false}`, "error"},
	{`{"event":"error","message":"no code"}`, ""},
	{`{"event":"probe","python":"3.12.8","machine":"arm64","mlx_vlm":null}`, "probe"},
	{`{"event":"downloaded","path":"/x","revision":null}`, "downloaded"},
	{`{"event":"surprise"}`, ""},
	{`Fetching 9 files: 100%`, ""},
	{`{"event":"delta","id":`, ""},
	{`[1,2,3]`, ""},
	{"\x00\xff", ""},
	{``, ""},
	{`{"event":"delta","id":"a","text":7}`, ""},
}

func TestParseEvent(t *testing.T) {
	for _, c := range eventCases {
		ev, err := parseEvent([]byte(c.line))
		if c.event == "" {
			if !errors.Is(err, errGarbage) {
				t.Errorf("parseEvent(%q) = %+v, %v; want garbage", c.line, ev, err)
			}
			continue
		}
		if err != nil || ev.Event != c.event {
			t.Errorf("parseEvent(%q) = %q, %v; want %q", c.line, ev.Event, err, c.event)
		}
	}
}

func FuzzParseEvent(f *testing.F) {
	for _, c := range eventCases {
		f.Add([]byte(c.line))
	}
	f.Fuzz(func(t *testing.T, line []byte) {
		ev, err := parseEvent(line)
		if err != nil && !errors.Is(err, errGarbage) {
			t.Fatalf("error %v is not errGarbage", err)
		}
		if err == nil && ev.Event == "" {
			t.Fatalf("accepted %q without an event name", line)
		}
	})
}

func TestAppendGenerateIsOneJSONLine(t *testing.T) {
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xE0, 1, 2, 3, '"', '\\', '\n'}
	line, err := appendGenerate(nil, generateRequest{ID: "x1", Prompt: "say \"hi\"\n", System: "sys", MaxTokens: 64, TopP: 1}, jpeg)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Count(string(line), "\n") != 1 || line[len(line)-1] != '\n' {
		t.Fatalf("request %q is not exactly one line", line)
	}
	var got map[string]any
	if err := json.Unmarshal(line, &got); err != nil {
		t.Fatalf("request is not JSON: %v\n%s", err, line)
	}
	b64, ok := strings.CutPrefix(got["image"].(string), "data:image/jpeg;base64,")
	if !ok {
		t.Fatalf("image %q is not a JPEG data URI", got["image"])
	}
	if dec, err := base64.StdEncoding.DecodeString(b64); err != nil || string(dec) != string(jpeg) {
		t.Errorf("image decodes to %q, %v", dec, err)
	}
	if got["op"] != "generate" || got["id"] != "x1" || got["prompt"] != "say \"hi\"\n" || got["max_tokens"] != 64.0 || got["temperature"] != 0.0 {
		t.Errorf("request %v", got)
	}
	if _, present := got["repetition_penalty"]; present {
		t.Errorf("unset repetition_penalty was sent")
	}
}

func TestClassifyFailure(t *testing.T) {
	cases := []struct{ text, code string }{
		{"ERROR: Package 'mlx-vlm' requires a different Python: 3.9.6 not in '>=3.10' Requires-Python >=3.10", "python_unsupported"},
		{"No matching distribution found for mlx>=0.32.0", "python_unsupported"},
		{"ValueError: Model type llava_qwen2 not supported.", "mlx_vlm_too_old"},
		{"ValueError: Model type fast_vlm not supported.", "transformers_checkpoint"},
		{"KeyError: 'vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight'", "coreml_export"},
		{"ValueError: Received 4 parameters not in model: multi_modal_projector.linear_1.bias", "weights_mismatch"},
		{"ValueError: Missing 12 parameters: language_model.lm_head.weight", "weights_mismatch"},
		{"ValueError: [conv] Invalid input array with type uint32.", "quantized_old"},
		{"LocalEntryNotFoundError: Cannot find ... outgoing traffic has been disabled.", "not_downloaded"},
		{"IncompleteSnapshotError: Snapshot folder for x is incomplete.", "incomplete_download"},
		{"RepositoryNotFoundError: 401 Client Error.", "model_not_found"},
		{"GatedRepoError: 403 Client Error. Cannot access gated repo", "model_not_found"},
		{"[METAL] Command buffer execution failed: Insufficient Memory (00000008:kIOGPUCommandBufferCallbackErrorOutOfMemory)", "out_of_memory"},
		{"ModuleNotFoundError: No module named 'mlx_vlm'", "mlx_vlm_missing"},
		{"ModuleNotFoundError: No module named 'mlx'", "mlx_vlm_missing"},
		{"ModuleNotFoundError: No module named 'mlx.core'", "mlx_vlm_missing"},
		// mlx's load_weights names the parameters; a reparam_conv among them is a layout mismatch.
		{"ValueError: Received 1 parameters not in model: vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight.", "weights_mismatch"},
		{"ValueError: Missing 2 parameters: vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.bias,", "weights_mismatch"},
		{"ModuleNotFoundError: No module named 'timm'", "processor_needs_torch"},
		{"ModuleNotFoundError: No module named 'torch'", "processor_needs_torch"},
		{"ImportError: This modeling file requires the following packages that were not found in your environment: timm. Run `pip install timm`", "processor_needs_torch"},
	}
	for _, c := range cases {
		f, ok := classifyFailure(c.text)
		if !ok || f.code != c.code {
			t.Errorf("classifyFailure(%q) = %q, %v; want %q", c.text, f.code, ok, c.code)
		}
	}
	for _, text := range []string{
		"RuntimeError: something else",
		// mlx's shape check names a reparam_conv weight too: not a Core ML export.
		"ValueError: Expected shape (64, 3, 3, 3) but received shape (64, 3, 3) for parameter vision_tower.vision_model.patch_embed.blocks.1.reparam_conv.weight",
		"ImportError: This modeling file requires the following packages that were not found in your environment: einops. Run `pip install einops`",
	} {
		if f, ok := classifyFailure(text); ok {
			t.Errorf("classifyFailure(%q) = %q, want no known failure", text, f.code)
		}
	}
	for _, f := range knownFailures {
		if f.advice == "" || strings.Contains(f.advice, "Traceback") {
			t.Errorf("failure %s has no usable advice", f.code)
		}
	}
}

func TestNewWorkerError(t *testing.T) {
	we := newWorkerError("python_not_arm64", "this Python runs as x86_64 (Rosetta)", true)
	if we.Code != "python_not_arm64" || !strings.Contains(we.Error(), "narrator setup") || !we.Fatal {
		t.Errorf("python_not_arm64: %+v", we)
	}
	we = newWorkerError("load_failed", "KeyError: 'x.reparam_conv.weight'\nTraceback (most recent call last):", false)
	if we.Code != "coreml_export" || !we.Fatal || strings.Contains(we.Error(), "Traceback") {
		t.Errorf("a known message in a load failure: %+v", we)
	}
	we = newWorkerError("generation_failed", "RuntimeError: odd", false)
	if we.Code != "generation_failed" || we.Fatal || !strings.Contains(we.Error(), "odd") {
		t.Errorf("an unknown generation failure: %+v", we)
	}
}

// TestWorkerPythonUnitTests runs the worker script's own unit tests
// (inference/worker/test_narrator_worker.py) so that `go test` covers them too.
func TestWorkerPythonUnitTests(t *testing.T) {
	cmd := exec.Command(python3(t), "-m", "unittest", "discover", "-s", "worker", "-p", "test_*.py")
	cmd.Env = append(os.Environ(), "PYTHONDONTWRITEBYTECODE=1")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("python3 -m unittest: %v\n%s", err, out)
	}
}
