//go:build unix

package mlx

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/internal/doctor"
)

// setupHarness runs Setup with the stand-in uv (testdata/bin/uv), which makes a "venv" whose
// python is python3 with the stand-in packages "installed" by `uv pip install`.
type setupHarness struct {
	t      *testing.T
	dir    string
	uvLog  string
	record string
	out    bytes.Buffer
	cfg    SetupConfig
}

func newSetupHarness(t *testing.T) *setupHarness {
	python3(t)
	dir := t.TempDir()
	h := &setupHarness{t: t, dir: dir, uvLog: filepath.Join(dir, "uv.log"), record: filepath.Join(dir, "record.jsonl")}
	h.cfg = SetupConfig{
		DataDir: filepath.Join(dir, "home"), UV: filepath.Join(standinPath(t), "bin", "uv"), Platform: "darwin/arm64",
		Env: []string{"FAKE_UV_LOG=" + h.uvLog, "FAKE_UV_STANDIN=" + standinPath(t), "FAKE_MLX_VLM_RECORD=" + h.record},
		Out: &h.out,
	}
	return h
}

func (h *setupHarness) run(edit func(*SetupConfig)) error {
	cfg := h.cfg
	cfg.Env = slices.Clone(cfg.Env)
	if edit != nil {
		edit(&cfg)
	}
	return Setup(context.Background(), cfg)
}

func (h *setupHarness) uvCalls() []string {
	data, err := os.ReadFile(h.uvLog)
	if err != nil {
		return nil
	}
	var calls []string
	for _, c := range strings.Split(strings.TrimSpace(string(data)), "\n") {
		if c != "--version" { // asked at every setup, changes nothing
			calls = append(calls, c)
		}
	}
	return calls
}

func (h *setupHarness) downloads() []map[string]any {
	mh := &mlxHarness{t: h.t, record: h.record}
	if _, err := os.Stat(h.record); err != nil {
		return nil
	}
	return mh.calls("snapshot_download")
}

func TestSetupInstallsDownloadsChecksAndIsIdempotent(t *testing.T) {
	leakCheck(t)
	h := newSetupHarness(t)
	if err := h.run(func(c *SetupConfig) { c.Check = true }); err != nil {
		t.Fatalf("setup: %v\n%s", err, h.out.String())
	}
	l := Layout{Root: h.cfg.DataDir}
	wantUV := []string{
		"venv --python 3.12 --managed-python " + l.Venv(),
		"pip install --python " + l.Python() + " mlx-vlm==" + MLXVLMVersion + " -c " + l.Constraints(),
	}
	if got := h.uvCalls(); !slices.Equal(got, wantUV) {
		t.Errorf("uv calls:\n%q\nwant\n%q", got, wantUV)
	}
	constraints, err := os.ReadFile(l.Constraints())
	if err != nil || !bytes.Contains(constraints, []byte("mlx==0.32.0")) || !bytes.Contains(constraints, []byte("mlx-vlm=="+MLXVLMVersion)) {
		t.Errorf("constraints file: %v\n%s", err, constraints)
	}
	dl := h.downloads()
	if len(dl) != 1 {
		t.Fatalf("%d snapshot_download calls, want 1", len(dl))
	}
	d := dl[0]
	patterns := []any{"*.json", "*.jsonl", "*.safetensors", "*.py", "*.model", "*.tiktoken", "*.txt", "*.jinja"}
	if d["repo_id"] != DefaultModel || d["revision"] != DefaultRevision || d["hf_home"] != l.HFHome() || d["hub_cache"] != l.HubCache() ||
		d["offline"] != false || !slices.Equal(d["allow_patterns"].([]any), patterns) {
		t.Errorf("snapshot_download %v: want the pinned default model into %s, online, with the allow patterns", d, l.HubCache())
	}
	if st, _ := ReadSetupState(l); st.PinsSHA256 != PinsHash() {
		t.Errorf("setup.json records pins %q, want %q", st.PinsSHA256, PinsHash())
	}
	st, err := ReadSetupState(l)
	if err != nil || st.MLXVLM != MLXVLMVersion || st.Models[DefaultModel].Path == "" {
		t.Fatalf("setup state %+v, %v", st, err)
	}
	if p, err := ResolveModel(l, DefaultModel); err != nil || p != st.Models[DefaultModel].Path {
		t.Errorf("ResolveModel after setup: %q, %v", p, err)
	}
	out := h.out.String()
	for _, want := range []string{"research-only licence", "Fetching", "model loads:", "setup is complete"} {
		if !strings.Contains(out, want) {
			t.Errorf("setup output lacks %q:\n%s", want, out)
		}
	}

	// Again: the environment and the model are kept; the install step runs and uv finds
	// nothing to do.
	h.out.Reset()
	if err := h.run(nil); err != nil {
		t.Fatalf("second setup: %v\n%s", err, h.out.String())
	}
	if got := h.uvCalls(); !slices.Equal(got, append(wantUV, wantUV[1])) {
		t.Errorf("second setup's uv calls %q, want only the install step again", got[2:])
	}
	if n := len(h.downloads()); n != 1 {
		t.Errorf("second setup downloaded again (%d downloads)", n)
	}
	if out := h.out.String(); strings.Count(out, "already") != 2 || !strings.Contains(out, "Audited") || !strings.Contains(out, "imports") {
		t.Errorf("second setup should keep the environment and the model, and check the install:\n%s", out)
	}

	// A download that vanished is fetched again (resumed, for the real hub client).
	if err := os.RemoveAll(st.Models[DefaultModel].Path); err != nil {
		t.Fatal(err)
	}
	if err := h.run(nil); err != nil {
		t.Fatalf("setup after losing the snapshot: %v", err)
	}
	if n := len(h.downloads()); n != 2 {
		t.Errorf("%d downloads, want a second one after the snapshot vanished", n)
	}
}

func TestSetupLocalFolderModel(t *testing.T) {
	h := newSetupHarness(t)
	model := writeModelDir(t, h.dir)
	if err := h.run(func(c *SetupConfig) { c.Model = model }); err != nil {
		t.Fatalf("setup: %v\n%s", err, h.out.String())
	}
	if n := len(h.downloads()); n != 0 {
		t.Errorf("a local folder was downloaded (%d calls)", n)
	}
	st, _ := ReadSetupState(Layout{Root: h.cfg.DataDir})
	if st.Models[model].Path != model {
		t.Errorf("recorded %+v, want the folder itself", st.Models[model])
	}
	if !strings.Contains(h.out.String(), "check the licence") {
		t.Errorf("setup should ask to check a non-FastVLM model's licence:\n%s", h.out.String())
	}
}

func TestSetupFailures(t *testing.T) {
	cases := []struct {
		name string
		edit func(*SetupConfig)
		want []string
	}{
		{"not apple silicon", func(c *SetupConfig) { c.Platform = "linux/amd64" }, []string{"Apple Silicon", "linux/amd64", "nothing was installed"}},
		{"old python", func(c *SetupConfig) {
			c.Env = append(c.Env, "FAKE_UV_FAIL=pip", "FAKE_UV_FAIL_MESSAGE=ERROR: No matching distribution found for mlx>=0.32.0")
		}, []string{"native arm64 Python", "uv"}},
		{"install fails", func(c *SetupConfig) { c.Env = append(c.Env, "FAKE_UV_FAIL=pip", "FAKE_UV_FAIL_MESSAGE=network down") }, []string{"install mlx-vlm", "network down"}},
		{"venv fails", func(c *SetupConfig) { c.Env = append(c.Env, "FAKE_UV_FAIL=venv") }, []string{"create the Python environment"}},
		{"wrong model id", func(c *SetupConfig) {
			c.Model = "nobody/nothing"
			c.Env = append(c.Env, "FAKE_HF_DOWNLOAD=error:not_found")
		}, []string{"not found", "nobody/nothing"}},
		{"gated model", func(c *SetupConfig) { c.Model = "org/gated"; c.Env = append(c.Env, "FAKE_HF_DOWNLOAD=error:gated") }, []string{"needs access"}},
		{"incomplete", func(c *SetupConfig) { c.Env = append(c.Env, "FAKE_HF_DOWNLOAD=incomplete") }, []string{"incomplete", "resumes"}},
		{"coreml model", func(c *SetupConfig) {
			c.Model = "apple/FastVLM-0.5B-fp16"
			c.Check = true
			c.Env = append(c.Env, "FAKE_MLX_VLM_LOAD=error:coreml")
		}, []string{"did not load", "Core ML", "mlx-community/FastVLM-0.5B-bf16"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := newSetupHarness(t)
			err := h.run(tc.edit)
			if err == nil {
				t.Fatalf("setup succeeded, want an error\n%s", h.out.String())
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "Traceback") || strings.Contains(h.out.String(), "Traceback") {
				t.Errorf("a traceback reached the user: %v\n%s", err, h.out.String())
			}
			if tc.name == "not apple silicon" {
				if !errors.Is(err, ErrNeedsAppleSilicon) {
					t.Errorf("error %v is not ErrNeedsAppleSilicon", err)
				}
				if _, err := os.Stat(h.cfg.DataDir); !os.IsNotExist(err) {
					t.Errorf("setup touched the data directory on a machine that cannot run MLX")
				}
			}
		})
	}
}

func TestFindUVExplainsHowToInstallIt(t *testing.T) {
	t.Setenv("PATH", t.TempDir())
	t.Setenv("HOME", t.TempDir())
	if _, err := os.Stat("/opt/homebrew/bin/uv"); err == nil {
		t.Skip("uv is installed in /opt/homebrew/bin")
	}
	_, err := FindUV()
	if err == nil || !strings.Contains(err.Error(), "brew install uv") || !strings.Contains(err.Error(), "astral.sh/uv/install.sh") {
		t.Errorf("FindUV: %v, want both ways to install uv", err)
	}
}

func TestMLXChecks(t *testing.T) {
	h := newSetupHarness(t)
	if err := h.run(nil); err != nil {
		t.Fatalf("setup: %v\n%s", err, h.out.String())
	}
	t.Setenv("PATH", filepath.Join(standinPath(t), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	status := func(checks []doctor.Check) map[string]string {
		m := map[string]string{}
		for _, c := range checks {
			m[c.Name] = c.Status
		}
		return m
	}
	ok := status(Checks(context.Background(), CheckConfig{DataDir: h.cfg.DataDir, Platform: "darwin/arm64"}))
	for _, name := range []string{"platform", "uv", "python env", "mlx-vlm", "model"} {
		if ok[name] != doctor.OK {
			t.Errorf("after setup, check %s is %q, want ok (all: %v)", name, ok[name], ok)
		}
	}
	other := Checks(context.Background(), CheckConfig{DataDir: h.cfg.DataDir, Platform: "darwin/arm64", Model: "org/other"})
	if c := other[len(other)-1]; c.Name != "model" || c.Status != doctor.Fail || c.Fix != "narrator setup --model org/other" {
		t.Errorf("model check for a model never downloaded: %+v", c)
	}
	linux := status(Checks(context.Background(), CheckConfig{DataDir: h.cfg.DataDir, Platform: "linux/amd64"}))
	if linux["platform"] != doctor.Warn || linux["model"] != doctor.Skip {
		t.Errorf("off Apple Silicon: %v, want the platform warned and the MLX checks skipped", linux)
	}
	missing := status(Checks(context.Background(), CheckConfig{DataDir: t.TempDir(), Platform: "darwin/arm64"}))
	if missing["python env"] != doctor.Fail || missing["model"] != doctor.Fail {
		t.Errorf("without setup: %v, want python env and model failed", missing)
	}
}
