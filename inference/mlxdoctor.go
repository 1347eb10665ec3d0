package inference

import (
	"context"
	"fmt"
	"os/exec"
	"strings"
)

// Check is one line of `narrator doctor`: what was checked, how it went and the fix.
type Check struct {
	Name   string
	Status string // CheckOK, CheckWarn, CheckFail or CheckSkip
	Detail string
	Fix    string // empty when there is nothing to do
}

// Check statuses.
const (
	CheckOK   = "ok"
	CheckWarn = "warn"
	CheckFail = "FAIL"
	CheckSkip = "skip"
)

// MLXCheckConfig says what to check.
type MLXCheckConfig struct {
	DataDir  string // default: DataDir()
	Python   string // default: the environment setup made
	Model    string // default: DefaultMLXModel
	Platform string // GOOS/GOARCH; default: this machine's
}

// MLXChecks checks what the mlx backend needs: the platform, uv, the Python environment, the
// mlx-vlm version and the model's files, each with its fix.
func MLXChecks(ctx context.Context, cfg MLXCheckConfig) []Check {
	if cfg.Platform == "" {
		cfg.Platform = HostPlatform()
	}
	if cfg.Model == "" {
		cfg.Model = DefaultMLXModel
	}
	var out []Check
	explicitPython := cfg.Python != ""
	if problem := MLXPlatformProblem(cfg.Platform); problem != "" {
		out = append(out, Check{Name: "platform", Status: CheckWarn, Detail: problem + "; the mlx backend cannot run here",
			Fix: "use --backend heuristic, or --backend openai with a model server"})
		if !explicitPython {
			for _, name := range []string{"uv", "python env", "mlx-vlm", "model"} {
				out = append(out, Check{Name: name, Status: CheckSkip, Detail: "not needed without MLX"})
			}
			return out
		}
	} else {
		out = append(out, Check{Name: "platform", Status: CheckOK, Detail: cfg.Platform + " (Apple Silicon)"})
	}
	if cfg.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return append(out, Check{Name: "data dir", Status: CheckFail, Detail: err.Error(), Fix: "set NARRATOR_HOME"})
		}
		cfg.DataDir = d
	}
	l := Layout{Root: cfg.DataDir}

	if uv, err := FindUV(); err != nil {
		out = append(out, Check{Name: "uv", Status: CheckFail, Detail: "not installed", Fix: "brew install uv (or: curl -LsSf https://astral.sh/uv/install.sh | sh)"})
	} else {
		v, _ := exec.CommandContext(ctx, uv, "--version").Output()
		out = append(out, Check{Name: "uv", Status: CheckOK, Detail: strings.TrimSpace(string(v)) + " at " + uv})
	}

	python := cfg.Python
	if python == "" {
		python = l.Python()
	}
	probe, err := ProbePython(ctx, l, python, nil)
	switch {
	case err != nil:
		out = append(out, Check{Name: "python env", Status: CheckFail, Detail: "no working Python at " + python, Fix: "narrator setup"})
		return append(out, Check{Name: "mlx-vlm", Status: CheckSkip, Detail: "no Python"}, modelCheck(l, cfg.Model))
	case probe.Problem != "":
		werr := newWorkerError(probe.ProblemCode, probe.Problem, true)
		out = append(out, Check{Name: "python env", Status: CheckFail, Detail: probe.Problem + " (" + python + ")", Fix: werr.Advice})
	default:
		out = append(out, Check{Name: "python env", Status: CheckOK, Detail: fmt.Sprintf("Python %s %s at %s", probe.Python, probe.Machine, python)})
	}
	switch {
	case probe.MLXVLM == "":
		out = append(out, Check{Name: "mlx-vlm", Status: CheckFail, Detail: "not installed in " + python, Fix: "narrator setup"})
	case probe.MLXVLM != MLXVLMVersion:
		out = append(out, Check{Name: "mlx-vlm", Status: CheckWarn, Detail: fmt.Sprintf("%s installed; narrator is tested with %s", probe.MLXVLM, MLXVLMVersion), Fix: "narrator setup (installs the pinned version)"})
	default:
		out = append(out, Check{Name: "mlx-vlm", Status: CheckOK, Detail: fmt.Sprintf("%s (mlx %s)", probe.MLXVLM, probe.MLX)})
	}
	return append(out, modelCheck(l, cfg.Model))
}

func modelCheck(l Layout, model string) Check {
	path, err := ResolveModel(l, model)
	if err != nil {
		return Check{Name: "model", Status: CheckFail, Detail: model + ": " + err.Error(), Fix: "narrator setup" + modelFlag(model)}
	}
	return Check{Name: "model", Status: CheckOK, Detail: model + " at " + path}
}
