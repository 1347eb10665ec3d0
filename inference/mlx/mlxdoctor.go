package mlx

import (
	"context"
	"fmt"
	"os/exec"
	"strings"

	"github.com/narrator-dev/narrator/inference"
)

// CheckConfig says what to check.
type CheckConfig struct {
	DataDir  string // default: DataDir()
	Python   string // default: the environment setup made
	Model    string // default: DefaultModel
	Platform string // GOOS/GOARCH; default: this machine's
}

// Checks checks what the mlx backend needs: the platform, uv, the Python environment, the
// mlx-vlm version and the model's files, each with its fix.
func Checks(ctx context.Context, cfg CheckConfig) []inference.Check {
	if cfg.Platform == "" {
		cfg.Platform = HostPlatform()
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	var out []inference.Check
	explicitPython := cfg.Python != ""
	if problem := PlatformProblem(cfg.Platform); problem != "" {
		out = append(out, inference.Check{Name: "platform", Status: inference.CheckWarn, Detail: problem + "; the mlx backend cannot run here",
			Fix: "use --backend heuristic, or --backend openai with a model server"})
		if !explicitPython {
			for _, name := range []string{"uv", "python env", "mlx-vlm", "model"} {
				out = append(out, inference.Check{Name: name, Status: inference.CheckSkip, Detail: "not needed without MLX"})
			}
			return out
		}
	} else {
		out = append(out, inference.Check{Name: "platform", Status: inference.CheckOK, Detail: cfg.Platform + " (Apple Silicon)"})
	}
	if cfg.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return append(out, inference.Check{Name: "data dir", Status: inference.CheckFail, Detail: err.Error(), Fix: "set NARRATOR_HOME"})
		}
		cfg.DataDir = d
	}
	l := Layout{Root: cfg.DataDir}

	if uv, err := FindUV(); err != nil {
		out = append(out, inference.Check{Name: "uv", Status: inference.CheckFail, Detail: "not installed", Fix: "brew install uv (or: curl -LsSf https://astral.sh/uv/install.sh | sh)"})
	} else {
		v, _ := exec.CommandContext(ctx, uv, "--version").Output()
		out = append(out, inference.Check{Name: "uv", Status: inference.CheckOK, Detail: strings.TrimSpace(string(v)) + " at " + uv})
	}

	python := cfg.Python
	if python == "" {
		python = l.Python()
	}
	probe, err := ProbePython(ctx, l, python, nil)
	switch {
	case err != nil:
		out = append(out, inference.Check{Name: "python env", Status: inference.CheckFail, Detail: "no working Python at " + python, Fix: "narrator setup"})
		return append(out, inference.Check{Name: "mlx-vlm", Status: inference.CheckSkip, Detail: "no Python"}, modelCheck(l, cfg.Model))
	case probe.Problem != "":
		werr := newWorkerError(probe.ProblemCode, probe.Problem, true)
		out = append(out, inference.Check{Name: "python env", Status: inference.CheckFail, Detail: probe.Problem + " (" + python + ")", Fix: werr.Advice})
	default:
		out = append(out, inference.Check{Name: "python env", Status: inference.CheckOK, Detail: fmt.Sprintf("Python %s %s at %s", probe.Python, probe.Machine, python)})
	}
	switch {
	case probe.MLXVLM == "":
		out = append(out, inference.Check{Name: "mlx-vlm", Status: inference.CheckFail, Detail: "not installed in " + python, Fix: "narrator setup"})
	case probe.MLXVLM != MLXVLMVersion:
		out = append(out, inference.Check{Name: "mlx-vlm", Status: inference.CheckWarn, Detail: fmt.Sprintf("%s installed; narrator is tested with %s", probe.MLXVLM, MLXVLMVersion), Fix: "narrator setup (installs the pinned version)"})
	default:
		out = append(out, inference.Check{Name: "mlx-vlm", Status: inference.CheckOK, Detail: fmt.Sprintf("%s (mlx %s)", probe.MLXVLM, probe.MLX)})
	}
	return append(out, modelCheck(l, cfg.Model))
}

func modelCheck(l Layout, model string) inference.Check {
	path, err := ResolveModel(l, model)
	if err != nil {
		return inference.Check{Name: "model", Status: inference.CheckFail, Detail: model + ": " + err.Error(), Fix: "narrator setup" + modelFlag(model)}
	}
	return inference.Check{Name: "model", Status: inference.CheckOK, Detail: model + " at " + path}
}
