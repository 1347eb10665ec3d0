package mlx

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/procgroup"
)

// ErrNeedsAppleSilicon is returned by Setup on machines MLX does not run on.
var ErrNeedsAppleSilicon = errors.New("MLX needs a Mac with Apple Silicon")

// HostPlatform is this machine's GOOS/GOARCH.
func HostPlatform() string { return runtime.GOOS + "/" + runtime.GOARCH }

// PlatformProblem says why MLX cannot run on platform (GOOS/GOARCH), or "" when it can.
func PlatformProblem(platform string) string {
	if platform == "darwin/arm64" {
		return ""
	}
	return fmt.Sprintf("MLX needs a Mac with Apple Silicon (M1 or later) running macOS 14 or newer; this machine is %s", platform)
}

// WriteWorkerFiles writes the embedded worker script and constraints into the data directory,
// replacing older copies.
func WriteWorkerFiles(l Layout) error {
	for _, f := range []struct {
		path string
		data []byte
	}{{l.WorkerScript(), workerScript}, {l.Constraints(), workerConstraints}} {
		if old, err := os.ReadFile(f.path); err == nil && bytes.Equal(old, f.data) {
			continue
		}
		if err := os.MkdirAll(filepath.Dir(f.path), 0o755); err != nil {
			return fmt.Errorf("write worker files: %w", err)
		}
		tmp := f.path + ".tmp"
		if err := os.WriteFile(tmp, f.data, 0o644); err != nil {
			return fmt.Errorf("write worker files: %w", err)
		}
		if err := os.Rename(tmp, f.path); err != nil {
			return fmt.Errorf("write worker files: %w", err)
		}
	}
	return nil
}

// SetupState records what `narrator setup` completed, in the data directory's setup.json.
type SetupState struct {
	Python     string                `json:"python"`                // the environment's interpreter
	MLXVLM     string                `json:"mlx_vlm"`               // the mlx-vlm version installed
	PinsSHA256 string                `json:"pins_sha256,omitempty"` // PinsHash of what was installed
	Models     map[string]SetupModel `json:"models"`                // by hub id or folder as the user named it
}

// SetupModel is one downloaded model.
type SetupModel struct {
	Revision     string    `json:"revision,omitempty"`
	Path         string    `json:"path"` // the local snapshot folder the worker loads
	DownloadedAt time.Time `json:"downloaded_at"`
}

// ReadSetupState reads setup.json; a missing file is an empty state.
func ReadSetupState(l Layout) (SetupState, error) {
	st := SetupState{Models: map[string]SetupModel{}}
	data, err := os.ReadFile(l.SetupState())
	if errors.Is(err, os.ErrNotExist) {
		return st, nil
	}
	if err != nil {
		return st, fmt.Errorf("read setup state: %w", err)
	}
	if err := json.Unmarshal(data, &st); err != nil {
		return SetupState{Models: map[string]SetupModel{}}, fmt.Errorf("read setup state %s: %w", l.SetupState(), err)
	}
	if st.Models == nil {
		st.Models = map[string]SetupModel{}
	}
	return st, nil
}

func writeSetupState(l Layout, st SetupState) error {
	data, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	tmp := l.SetupState() + ".tmp"
	if err := os.WriteFile(tmp, append(data, '\n'), 0o644); err != nil {
		return fmt.Errorf("write setup state: %w", err)
	}
	return os.Rename(tmp, l.SetupState())
}

// ResolveModel returns the local folder for model: the folder itself, or the snapshot setup
// downloaded. A model that is not there is a *WorkerError with code "not_downloaded".
func ResolveModel(l Layout, model string) (string, error) {
	if fi, err := os.Stat(model); err == nil && fi.IsDir() {
		abs, err := filepath.Abs(model)
		if err != nil {
			return "", err
		}
		if problem := checkSnapshot(abs); problem != "" {
			return "", &WorkerError{Code: "incomplete_download", Fatal: true, Detail: problem,
				Advice: fmt.Sprintf("the model folder %s is not a complete mlx model", abs)}
		}
		return abs, nil
	}
	st, err := ReadSetupState(l)
	if err != nil {
		return "", err
	}
	m, ok := st.Models[model]
	if !ok {
		return "", &WorkerError{Code: "not_downloaded", Fatal: true,
			Advice: fmt.Sprintf("model %s is not downloaded: run `narrator setup%s` while online", model, modelFlag(model))}
	}
	if problem := checkSnapshot(m.Path); problem != "" {
		return "", &WorkerError{Code: "incomplete_download", Fatal: true, Detail: problem,
			Advice: fmt.Sprintf("the download of %s is incomplete: run `narrator setup%s` again; it resumes", model, modelFlag(model))}
	}
	return m.Path, nil
}

func modelFlag(model string) string {
	if model == DefaultModel {
		return ""
	}
	return " --model " + model
}

// PythonProbe is what the worker script reports about an interpreter.
type PythonProbe struct {
	Python, Executable, System, Machine string
	Problem, ProblemCode                string // why this interpreter cannot run MLX, if it cannot
	MLXVLM, MLX, HuggingFaceHub         string // installed versions, "" when missing
}

// ProbePython runs the worker script's probe with python.
func ProbePython(ctx context.Context, l Layout, python string, env []string) (PythonProbe, error) {
	if err := WriteWorkerFiles(l); err != nil {
		return PythonProbe{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	evs, tail, err := runHelper(ctx, python, []string{l.WorkerScript(), "probe"}, helperEnv(l, false, env), nil)
	for _, ev := range evs {
		if ev.Event == "probe" {
			return PythonProbe{Python: ev.Python, Executable: ev.Executable, System: ev.System, Machine: ev.Machine,
				Problem: ev.Problem, ProblemCode: ev.ProblemCode, MLXVLM: ev.MLXVLM, MLX: ev.MLX, HuggingFaceHub: ev.HuggingFaceHub}, nil
		}
	}
	if err == nil {
		err = errors.New("no answer")
	}
	return PythonProbe{}, fmt.Errorf("probe %s: %w %s", python, err, oneLine(lastLine(tail)))
}

// helperEnv is the environment of the worker script's helper subcommands: the user's, extra,
// and the data directory's Hugging Face settings (online for the download).
func helperEnv(l Layout, online bool, extra []string) []string {
	env := append(os.Environ(), "PYTHONUNBUFFERED=1")
	env = append(env, extra...)
	return append(env, hubEnv(l, online, env)...)
}

// runHelper runs the worker script's helper subcommand and collects its events. stderr, when
// not nil, sees the helper's stderr as it comes (download progress).
func runHelper(ctx context.Context, python string, args, env []string, stderr io.Writer) ([]workerEvent, string, error) {
	p, err := startProc(procSpec{python: python, args: args, env: env, stderr: stderr,
		log: slog.New(slog.DiscardHandler), garbage: new(bus.Counter)})
	if err != nil {
		return nil, "", err
	}
	var evs []workerEvent
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				<-p.exited
				p.stop(0) // releases the stdin writer and takes any stray children
				return evs, p.lastWords(), p.exitError()
			}
			evs = append(evs, ev)
		case <-ctx.Done():
			p.stop(0)
			return evs, p.lastWords(), ctx.Err()
		}
	}
}

// SetupConfig configures Setup.
type SetupConfig struct {
	// DataDir is where the environment, the model cache and setup.json go. Default: DataDir().
	DataDir string
	// Model is a hub id (org/name) or a local folder. Default: DefaultModel.
	Model string
	// Revision pins the download. Default: DefaultRevision for the default model, else the
	// hub's main branch.
	Revision string
	// UV is the uv executable. Default: FindUV.
	UV string
	// Platform is GOOS/GOARCH. Default: this machine's.
	Platform string
	// Check loads the model once after setup to prove it works. Default false.
	Check bool
	// Env adds KEY=VALUE entries to every command setup runs.
	Env []string
	// Out receives what setup does, for the user, including the tools' own progress. Default: discarded.
	Out io.Writer
	// Logger is where the check's worker logs. Default: a logger that discards.
	Logger *slog.Logger
}

// Setup prepares the mlx backend: a Python 3.12 environment made by uv in the data directory,
// the pinned mlx-vlm, and the model's files in the data directory's Hugging Face cache. Every
// step is skipped when already done, so it is safe to run again; an interrupted download
// resumes.
func Setup(ctx context.Context, cfg SetupConfig) error {
	if cfg.Out == nil {
		cfg.Out = io.Discard
	}
	if cfg.Platform == "" {
		cfg.Platform = HostPlatform()
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.Revision == "" && cfg.Model == DefaultModel {
		cfg.Revision = DefaultRevision
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	say := func(format string, args ...any) { fmt.Fprintf(cfg.Out, format+"\n", args...) }
	if PlatformProblem(cfg.Platform) != "" {
		return fmt.Errorf("%w (M1 or later, macOS 14 or newer) and this machine is %s: nothing was installed. Use --backend heuristic here, or --backend openai with a model server", ErrNeedsAppleSilicon, cfg.Platform)
	}
	if cfg.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return err
		}
		cfg.DataDir = d
	}
	l := Layout{Root: cfg.DataDir}
	if err := WriteWorkerFiles(l); err != nil {
		return err
	}
	say("data directory: %s", l.Root)

	if cfg.UV == "" {
		uv, err := FindUV()
		if err != nil {
			return err
		}
		cfg.UV = uv
	}
	uvVersion, err := UVVersion(ctx, cfg.UV, cfg.Env)
	if err != nil {
		return err
	}
	if problem := uvVersionProblem(uvVersion); problem != "" {
		return errors.New(problem)
	}
	say("uv %s: %s", uvVersion, cfg.UV)

	st, err := ReadSetupState(l)
	if err != nil {
		say("setup.json is unreadable, starting a new one: %v", err)
	}
	probe, err := setupPython(ctx, cfg, l, say)
	if err != nil {
		return err
	}
	v, err := setupMLXVLM(ctx, cfg, l, probe, &st, say)
	if err != nil {
		return err
	}
	st.Python, st.MLXVLM = l.Python(), v.MLXVLM
	if err := writeSetupState(l, st); err != nil {
		return err
	}
	if err := setupModel(ctx, cfg, l, &st, say); err != nil {
		return err
	}
	if cfg.Check {
		return checkWorker(ctx, cfg, l, say)
	}
	return nil
}

// setupModel downloads the model into HF_HOME (or checks a local folder) and records its path.
func setupModel(ctx context.Context, cfg SetupConfig, l Layout, st *SetupState, say func(string, ...any)) error {
	say("model licence: %s", modelLicence(cfg.Model))
	if m, ok := st.Models[cfg.Model]; ok && m.Revision == cfg.Revision && checkSnapshot(m.Path) == "" {
		say("model %s: already downloaded at %s", cfg.Model, m.Path)
		return nil
	}
	args := []string{l.WorkerScript(), "download", "--model", cfg.Model}
	if cfg.Revision != "" {
		args = append(args, "--revision", cfg.Revision)
	}
	if fi, err := os.Stat(cfg.Model); err == nil && fi.IsDir() {
		say("model %s: a local folder, checking its files", cfg.Model)
	} else {
		rev := cfg.Revision
		if rev == "" {
			rev = "main"
		}
		say("downloading %s at %s into %s (the 0.5B model is about 1.25 GB; an interrupted download resumes)", cfg.Model, rev, l.HFHome())
	}
	evs, tail, err := runHelper(ctx, l.Python(), args, helperEnv(l, true, cfg.Env), cfg.Out)
	for _, ev := range evs {
		switch ev.Event {
		case "downloaded":
			st.Models[cfg.Model] = SetupModel{Revision: cfg.Revision, Path: ev.Path, DownloadedAt: time.Now().UTC()}
			if err := writeSetupState(l, *st); err != nil {
				return err
			}
			say("model %s: ready at %s", cfg.Model, ev.Path)
			return nil
		case "error":
			return fmt.Errorf("model %s: %w", cfg.Model, newWorkerError(ev.Code, ev.Message, true))
		}
	}
	if ctx.Err() != nil {
		return fmt.Errorf("model %s: download interrupted; run narrator setup again to resume", cfg.Model)
	}
	return fmt.Errorf("model %s: the download helper ended without a result (%v): %s", cfg.Model, err, lastLine(tail))
}

// modelLicence says under which terms the model's weights come.
func modelLicence(model string) string {
	if strings.Contains(strings.ToLower(model), "fastvlm") {
		return "FastVLM's weights are Apple's, under Apple's research-only licence (apple-amlr): research use, not commercial use. Read it at https://huggingface.co/apple/FastVLM-0.5B/blob/main/LICENSE"
	}
	return "check the licence on the model's page before using its weights"
}

// checkWorker loads the model once with the real worker and reports how long it took.
func checkWorker(ctx context.Context, cfg SetupConfig, l Layout, say func(string, ...any)) error {
	say("checking that the model loads (the first load compiles Metal kernels and can take a minute)…")
	m, err := New(Config{Model: cfg.Model, DataDir: l.Root, Env: cfg.Env, MaxFailedStarts: 1, Logger: cfg.Logger})
	if err != nil {
		return err
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, nil) }()
	for {
		select {
		case err := <-done:
			if err == nil {
				err = ctx.Err()
			}
			return fmt.Errorf("the model did not load: %w", err)
		case <-time.After(20 * time.Millisecond):
			if m.State() == "ready" {
				m.mu.Lock()
				ev := m.ready
				m.mu.Unlock()
				cancel()
				<-done
				say("model loads: load %.1f s, warm-up %.2f s, mlx-vlm %s, Python %s", ev.LoadS, ev.WarmupS, ev.Versions["mlx_vlm"], ev.Versions["python"])
				say("setup is complete: `narrator run --backend mlx` (or --backend auto) uses it")
				return nil
			}
		}
	}
}

// runTool runs a setup tool with its output shown to the user; a failure is explained from
// its output when the cause is known.
func runTool(ctx context.Context, cfg SetupConfig, tool string, args []string) error {
	cmd := exec.CommandContext(ctx, tool, args...)
	cmd.Env = append(os.Environ(), cfg.Env...)
	tail := &procgroup.Tail{Lines: 40}
	out := io.MultiWriter(cfg.Out, tail)
	cmd.Stdout, cmd.Stderr = out, out
	if err := cmd.Run(); err != nil {
		if advice := ClassifySetupOutput(tail.String()); advice != "" {
			return fmt.Errorf("%s: %w", advice, err)
		}
		return fmt.Errorf("%s %s: %w: %s", filepath.Base(tool), args[0], err, lastLine(tail.String()))
	}
	return nil
}
