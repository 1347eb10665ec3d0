//go:build unix

package mlx

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/internal/doctor"
)

// mustSetup runs setup and fails the test with its output when it fails.
func (h *setupHarness) mustSetup(edit func(*SetupConfig)) {
	h.t.Helper()
	h.out.Reset()
	if err := h.run(edit); err != nil {
		h.t.Fatalf("setup: %v\n%s", err, h.out.String())
	}
}

// imports reports whether the environment setup made imports mlx_vlm and mlx.core.
func (h *setupHarness) imports() error {
	l := Layout{Root: h.cfg.DataDir}
	_, err := VerifyPython(context.Background(), l, l.Python(), h.cfg.Env)
	return err
}

func TestSetupRepairsAnInterruptedInstall(t *testing.T) {
	h := newSetupHarness(t)
	h.mustSetup(nil)
	l := Layout{Root: h.cfg.DataDir}
	// An install interrupted after mlx-vlm's metadata was written but before mlx's files: the
	// metadata says mlx-vlm 0.6.15 is installed, importing it fails.
	if err := os.Remove(filepath.Join(l.Venv(), "site", "mlx")); err != nil {
		t.Fatal(err)
	}
	if err := h.imports(); err == nil || !strings.Contains(err.Error(), "No module named 'mlx'") {
		t.Fatalf("the broken environment imports (%v); the test does not break it", err)
	}
	h.mustSetup(nil)
	if err := h.imports(); err != nil {
		t.Fatalf("after setup ran again the environment still does not import: %v\n%s", err, h.out.String())
	}
	calls := h.uvCalls()
	if last := calls[len(calls)-1]; !strings.HasSuffix(last, " --reinstall") {
		t.Errorf("uv calls %q: want a --reinstall after the import failed", calls)
	}
	if !strings.Contains(h.out.String(), "does not import mlx-vlm") {
		t.Errorf("setup should say why it reinstalls:\n%s", h.out.String())
	}
}

func TestSetupAppliesChangedPins(t *testing.T) {
	h := newSetupHarness(t)
	h.mustSetup(nil)
	l := Layout{Root: h.cfg.DataDir}
	st, _ := ReadSetupState(l)
	if st.PinsSHA256 != PinsHash() {
		t.Fatalf("setup.json pins %q, want %q", st.PinsSHA256, PinsHash())
	}
	// A newer narrator with other pins.
	old := workerConstraints
	workerConstraints = append(slices.Clone(old), []byte("tokenizers==0.22.3\n")...)
	t.Cleanup(func() { workerConstraints = old })
	h.mustSetup(nil)
	calls := h.uvCalls()
	if last := calls[len(calls)-1]; !strings.HasSuffix(last, " --upgrade") || !strings.Contains(last, "-c "+l.Constraints()) {
		t.Errorf("uv calls %q: want the new pins applied with --upgrade", calls)
	}
	if data, _ := os.ReadFile(l.Constraints()); !strings.Contains(string(data), "tokenizers==0.22.3") {
		t.Errorf("the constraints file was not rewritten:\n%s", data)
	}
	if st, _ := ReadSetupState(l); st.PinsSHA256 != PinsHash() {
		t.Errorf("setup.json keeps pins %q, want the new %q", st.PinsSHA256, PinsHash())
	}
	// Same pins again: the install step runs and finds nothing to do.
	h.mustSetup(nil)
	if last := h.uvCalls()[len(h.uvCalls())-1]; strings.Contains(last, "--upgrade") || !strings.HasPrefix(last, "pip install") {
		t.Errorf("last uv call %q: want a plain install", last)
	}
}

func TestSetupRemakesABrokenEnvironment(t *testing.T) {
	cases := map[string]func(l Layout) error{
		// The managed Python the environment linked to was removed (uv python uninstall).
		"dangling interpreter link": func(l Layout) error {
			if err := os.Remove(l.Python()); err != nil {
				return err
			}
			return os.Symlink(filepath.Join(l.Root, "no-such-python3.12"), l.Python())
		},
		// Interrupted before uv wrote pyvenv.cfg and the interpreter.
		"half-made folder": func(l Layout) error {
			if err := os.RemoveAll(l.Venv()); err != nil {
				return err
			}
			return os.MkdirAll(filepath.Join(l.Venv(), "lib"), 0o755)
		},
	}
	for name, breakIt := range cases {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			h := newSetupHarness(t)
			h.mustSetup(nil)
			l := Layout{Root: h.cfg.DataDir}
			if err := breakIt(l); err != nil {
				t.Fatal(err)
			}
			h.mustSetup(nil)
			if err := h.imports(); err != nil {
				t.Fatalf("the environment does not work after setup: %v\n%s", err, h.out.String())
			}
			if !strings.Contains(h.out.String(), "removing it and making it again") {
				t.Errorf("setup should say it remade the environment:\n%s", h.out.String())
			}
		})
	}
}

func TestSetupNamesTheUVItNeeds(t *testing.T) {
	h := newSetupHarness(t)
	err := h.run(func(c *SetupConfig) { c.Env = append(c.Env, "FAKE_UV_VERSION=0.5.31") })
	if err == nil || !strings.Contains(err.Error(), "uv 0.5.31 is too old") || !strings.Contains(err.Error(), MinUVVersion) ||
		!strings.Contains(err.Error(), "uv self update") {
		t.Fatalf("setup with an old uv: %v, want the version it needs and how to get it", err)
	}
	if _, err := os.Stat(Layout{Root: h.cfg.DataDir}.Venv()); !os.IsNotExist(err) {
		t.Errorf("setup made an environment with a uv it cannot use")
	}
}

func TestSetupDownloadsIntoTheDataDirectoryWhateverTheUserSet(t *testing.T) {
	home := t.TempDir()
	elsewhere := filepath.Join(home, "elsewhere")
	t.Setenv("HF_HUB_CACHE", elsewhere)
	t.Setenv("HUGGINGFACE_HUB_CACHE", elsewhere)
	t.Setenv("HF_HUB_OFFLINE", "1")
	t.Setenv("TRANSFORMERS_OFFLINE", "1")
	h := newSetupHarness(t)
	h.mustSetup(nil)
	l := Layout{Root: h.cfg.DataDir}
	d := h.downloads()[0]
	if d["hub_cache"] != l.HubCache() || d["offline"] != false {
		t.Errorf("snapshot_download saw cache %v offline %v, want %s and online", d["hub_cache"], d["offline"], l.HubCache())
	}
	st, _ := ReadSetupState(l)
	if p := st.Models[DefaultModel].Path; !strings.HasPrefix(p, l.HubCache()+string(filepath.Separator)) {
		t.Errorf("model recorded at %s, want it inside %s", p, l.HubCache())
	}
	if _, err := os.Stat(elsewhere); !os.IsNotExist(err) {
		t.Errorf("setup wrote into the user's HF_HUB_CACHE")
	}
}

func TestSetupUsesTheTokenTheUserHas(t *testing.T) {
	home := t.TempDir()
	t.Setenv("HOME", home)
	unsetenv(t, "HF_HOME")
	unsetenv(t, "XDG_CACHE_HOME")
	unsetenv(t, "HF_TOKEN")
	unsetenv(t, "HF_TOKEN_PATH")
	gated := func(c *SetupConfig) { c.Model = "org/gated"; c.Env = append(c.Env, "FAKE_HF_DOWNLOAD=gated") }

	h := newSetupHarness(t)
	if err := h.run(gated); err == nil || !strings.Contains(err.Error(), "needs access") {
		t.Fatalf("a gated model without a token: %v, want the access advice", err)
	}
	// `hf auth login` stores the token in ~/.cache/huggingface/token (the default HF_HOME).
	tokenDir := filepath.Join(home, ".cache", "huggingface")
	if err := os.MkdirAll(tokenDir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(tokenDir, "token"), []byte("not-a-real-token\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	h.mustSetup(gated)
	dl := h.downloads()
	if d := dl[len(dl)-1]; d["token_found"] != true {
		t.Errorf("the download did not find the user's token: %v", d)
	}
}

func TestResolveModelChecksShardsFromTheIndex(t *testing.T) {
	dir := t.TempDir()
	write := func(name, data string) {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("config.json", `{"model_type":"llava_qwen2"}`)
	index, _ := json.Marshal(map[string]any{"weight_map": map[string]string{
		"a": "model-00001-of-00002.safetensors", "b": "model-00002-of-00002.safetensors"}})
	write(weightIndex, string(index))
	write("model-00001-of-00002.safetensors", "w")
	_, err := ResolveModel(Layout{Root: t.TempDir()}, dir)
	if err == nil || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors") {
		t.Fatalf("ResolveModel with a shard missing: %v, want the missing shard named", err)
	}
	write("model-00002-of-00002.safetensors", "w")
	if _, err := ResolveModel(Layout{Root: t.TempDir()}, dir); err != nil {
		t.Fatalf("ResolveModel with every shard: %v", err)
	}
}

func TestSetupRefusesASnapshotWithAShardMissing(t *testing.T) {
	h := newSetupHarness(t)
	err := h.run(func(c *SetupConfig) { c.Env = append(c.Env, "FAKE_HF_DOWNLOAD=sharded_partial") })
	if err == nil || !strings.Contains(err.Error(), "model-00002-of-00002.safetensors") || !strings.Contains(err.Error(), "resumes") {
		t.Fatalf("setup with a shard missing: %v, want the shard named and the advice to re-run", err)
	}
}

// unsetenv removes key for the test and restores it after.
func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

func TestDoctorSeesWhatSetupRepairs(t *testing.T) {
	h := newSetupHarness(t)
	h.mustSetup(nil)
	l := Layout{Root: h.cfg.DataDir}
	t.Setenv("PATH", filepath.Join(standinPath(t), "bin")+string(os.PathListSeparator)+os.Getenv("PATH"))
	check := func(name string) doctor.Check {
		t.Helper()
		for _, c := range Checks(context.Background(), CheckConfig{DataDir: h.cfg.DataDir, Platform: "darwin/arm64"}) {
			if c.Name == name {
				return c
			}
		}
		t.Fatalf("no %s check", name)
		return doctor.Check{}
	}
	if c := check("mlx-vlm"); c.Status != doctor.OK {
		t.Fatalf("after setup: %+v", c)
	}

	// Installed with a narrator that had other pins.
	st, _ := ReadSetupState(l)
	st.PinsSHA256 = "older"
	if err := writeSetupState(l, st); err != nil {
		t.Fatal(err)
	}
	if c := check("mlx-vlm"); c.Status != doctor.Warn || !strings.Contains(c.Detail, "other pins") || !strings.Contains(c.Fix, "narrator setup") {
		t.Errorf("stale pins: %+v, want a warning and narrator setup", c)
	}

	// Metadata without mlx: the probe says installed, the import fails.
	if err := os.Remove(filepath.Join(l.Venv(), "site", "mlx")); err != nil {
		t.Fatal(err)
	}
	if c := check("mlx-vlm"); c.Status != doctor.Fail || !strings.Contains(c.Detail, "does not import") || !strings.Contains(c.Fix, "repairs") {
		t.Errorf("broken install: %+v, want a failure that says setup repairs it", c)
	}

	t.Setenv("FAKE_UV_VERSION", "0.6.7")
	if c := check("uv"); c.Status != doctor.Fail || !strings.Contains(c.Detail, MinUVVersion) || !strings.Contains(c.Fix, "uv self update") {
		t.Errorf("old uv: %+v, want a failure naming %s and how to update", c, MinUVVersion)
	}
}
