package mlx

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
)

// WorkerError is a model worker failure turned into what the user should do about it.
type WorkerError struct {
	// Code names the failure: one of the codes in knownFailures, or a worker protocol code such
	// as "timeout", "crashed", "generation_failed", "bad_request".
	Code string
	// Advice is the cause and the fix in words.
	Advice string
	// Detail is what the worker or the library said, one line, never a traceback.
	Detail string
	// Fatal failures are not fixed by restarting the worker; the mlx backend stops on them.
	Fatal bool
}

func (e *WorkerError) Error() string {
	if e.Detail == "" || strings.Contains(e.Advice, e.Detail) {
		return e.Advice
	}
	return e.Advice + " (" + e.Detail + ")"
}

// ErrWorkerStopped is returned by Describe once the worker has stopped for good.
var ErrWorkerStopped = errors.New("the model worker has stopped")

// knownFailure maps what users see (substrings of an error, a log line or pip output) to advice.
type knownFailure struct {
	code   string
	match  []string       // any substring matches
	re     *regexp.Regexp // or this pattern
	fatal  bool
	advice string
}

// knownFailures is the table from the mlx-vlm research (docs/mlx.md), most specific first.
var knownFailures = []knownFailure{
	{code: "python_unsupported", fatal: true,
		match:  []string{"Requires-Python >=3.10", "does not satisfy Python>=3.10", "No matching distribution found for mlx"},
		advice: "FastVLM needs a native arm64 Python 3.10 or newer; `narrator setup` creates a managed Python 3.12 environment with uv"},
	{code: "python_too_old", fatal: true,
		advice: "this Python is too old for mlx-vlm (it needs 3.10 or newer): run `narrator setup`, which creates a managed Python 3.12 environment, or pass --worker-python with a newer interpreter"},
	{code: "python_not_arm64", fatal: true,
		advice: "this Python is an x86 build running under Rosetta and MLX needs a native arm64 Python: run `narrator setup`, which creates a native Python 3.12 environment"},
	{code: "mlx_vlm_missing", fatal: true, match: []string{"No module named 'mlx_vlm'", "No module named 'mlx'", "No module named 'mlx."},
		advice: "mlx-vlm is not installed, or only partly, in the worker's Python: run `narrator setup`, which repairs the environment (or install mlx-vlm into the interpreter given with --worker-python)"},
	{code: "import_failed", fatal: true,
		advice: "mlx-vlm is installed but does not import: run `narrator setup`, which repairs the environment"},
	{code: "mlx_vlm_too_old", fatal: true, match: []string{"Model type llava_qwen2 not supported"},
		advice: "the installed mlx-vlm is too old (narrator needs 0.3.12 or newer, with its own FastVLM processor): run `narrator setup` to install the pinned version"},
	{code: "processor_needs_torch", fatal: true,
		match:  []string{"No module named 'timm'", "No module named 'torch'"},
		re:     regexp.MustCompile(`packages that were not found in your environment: [^.]*\b(timm|torch)\b`),
		advice: "the model's processor came from the model repository's own code, which needs PyTorch and timm: mlx-vlm before 0.3.12 does that for FastVLM (run `narrator setup` for the pinned version); a newer mlx-vlm does it only when its own FastVLM processor fails to load (the debug log, --log-level debug, shows why)"},
	{code: "transformers_checkpoint", fatal: true, match: []string{"Model type fast_vlm not supported"},
		advice: "this is a transformers-format FastVLM checkpoint, which mlx-vlm cannot load: use mlx-community/FastVLM-0.5B-bf16"},
	// Before coreml_export: mlx's load_weights names the parameters it did not expect or missed,
	// and those names can contain reparam_conv too.
	{code: "weights_mismatch", fatal: true, match: []string{"parameters not in model"}, re: regexp.MustCompile(`Missing \d+ parameters`),
		advice: "the checkpoint's weight layout does not match mlx-vlm's FastVLM (7B needs mlx-vlm 0.6.0 or newer): use mlx-community/FastVLM-0.5B-bf16, or re-run `narrator setup`"},
	// The KeyError FastVLM's VisionModel.sanitize raises when the vision tower's weights are not
	// there (mlx_vlm/models/fastvlm/vision.py): Apple's app export keeps them in Core ML.
	{code: "coreml_export", fatal: true, re: regexp.MustCompile(`KeyError: '[^']*reparam_conv[^']*'`),
		advice: "this repository is Apple's app export with a Core ML vision encoder, which mlx-vlm cannot run: use mlx-community/FastVLM-0.5B-bf16 or apple/FastVLM-0.5B"},
	{code: "no_image_slot", fatal: true,
		advice: "this model would never see the frames: mlx-vlm gives its prompt no image slot. Use a FastVLM model (mlx-community/FastVLM-0.5B-bf16) or another vision model mlx-vlm lists in its prompt formats"},
	{code: "quantized_old", fatal: true, match: []string{"Invalid input array with type uint32"},
		advice: "quantized FastVLM needs mlx-vlm 0.6.0 or newer: run `narrator setup` to install the pinned version"},
	{code: "not_downloaded", fatal: true, match: []string{"outgoing traffic has been disabled", "LocalEntryNotFoundError"},
		advice: "the model is not downloaded and the worker runs offline: run `narrator setup` (with --model for another model) while online"},
	{code: "incomplete_download", fatal: true, match: []string{"is incomplete", "IncompleteSnapshotError"},
		advice: "the model download is incomplete: re-run `narrator setup`; it resumes where it stopped"},
	{code: "model_not_found", fatal: true, match: []string{"RepositoryNotFoundError", "GatedRepoError", "401 Client Error", "Repository Not Found"},
		advice: "the model id was not found on the Hugging Face hub or needs access: check the spelling, or accept its terms on huggingface.co and log in with `hf auth login`"},
	{code: "out_of_memory", fatal: false, match: []string{"kIOGPUCommandBufferCallbackErrorOutOfMemory", "Insufficient Memory"},
		advice: "the Mac ran out of GPU memory (close other GPU-heavy apps, or use a smaller model)"},
}

// classifyFailure finds the known failure in text (an error message, a log line, tool output).
func classifyFailure(text string) (knownFailure, bool) {
	for _, f := range knownFailures {
		for _, m := range f.match {
			if strings.Contains(text, m) {
				return f, true
			}
		}
		if f.re != nil && f.re.MatchString(text) {
			return f, true
		}
	}
	return knownFailure{}, false
}

// failureByCode returns the known failure with this code.
func failureByCode(code string) (knownFailure, bool) {
	for _, f := range knownFailures {
		if f.code == code {
			return f, true
		}
	}
	return knownFailure{}, false
}

// newWorkerError turns a worker's error event (or a crash's last words) into a WorkerError: a
// known code or a known message gives its advice; anything else keeps the worker's code.
func newWorkerError(code, detail string, fatal bool) *WorkerError {
	detail = oneLine(detail)
	if f, ok := classifyFailure(detail); ok {
		return &WorkerError{Code: f.code, Advice: f.advice, Detail: detail, Fatal: f.fatal}
	}
	if f, ok := failureByCode(code); ok {
		return &WorkerError{Code: f.code, Advice: f.advice, Detail: detail, Fatal: f.fatal}
	}
	var advice string
	switch code {
	case "load_failed", "warmup_failed":
		advice = "the model worker could not load the model"
	case "generation_failed":
		advice = "the model failed on this frame"
	case "bad_request":
		advice = "the model worker rejected a request (a bug in narrator; please report it)"
	default:
		advice = fmt.Sprintf("the model worker failed (%s)", code)
	}
	return &WorkerError{Code: code, Advice: advice, Detail: detail, Fatal: fatal}
}

// ClassifySetupOutput turns the output of a failed setup step (uv, pip, a download) into advice,
// or returns "" when nothing in it is known.
func ClassifySetupOutput(output string) string {
	if f, ok := classifyFailure(output); ok {
		return f.advice
	}
	return ""
}

// oneLine keeps the first line of s (and at most 500 bytes of it).
func oneLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}
