package mlx

import (
	"context"
	"fmt"

	"github.com/narrator-dev/narrator/internal/doctor"
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
func Checks(ctx context.Context, cfg CheckConfig) []doctor.Check {
	if cfg.Platform == "" {
		cfg.Platform = HostPlatform()
	}
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	var out []doctor.Check
	explicitPython := cfg.Python != ""
	if problem := PlatformProblem(cfg.Platform); problem != "" {
		out = append(out, doctor.Check{Name: "platform", Status: doctor.Warn, Detail: problem + "; the mlx backend cannot run here",
			Fix: "use --backend heuristic, or --backend openai with a model server"})
		if !explicitPython {
			for _, name := range []string{"uv", "python env", "mlx-vlm", "model"} {
				out = append(out, doctor.Check{Name: name, Status: doctor.Skip, Detail: "not needed without MLX"})
			}
			return out
		}
	} else {
		out = append(out, doctor.Check{Name: "platform", Status: doctor.OK, Detail: cfg.Platform + " (Apple Silicon)"})
	}
	if cfg.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return append(out, doctor.Check{Name: "data dir", Status: doctor.Fail, Detail: err.Error(), Fix: "set NARRATOR_HOME"})
		}
		cfg.DataDir = d
	}
	l := Layout{Root: cfg.DataDir}

	out = append(out, uvCheck(ctx))

	python := cfg.Python
	if python == "" {
		python = l.Python()
	}
	probe, err := ProbePython(ctx, l, python, nil)
	switch {
	case err != nil:
		out = append(out, doctor.Check{Name: "python env", Status: doctor.Fail, Detail: "no working Python at " + python, Fix: "narrator setup"})
		return append(out, doctor.Check{Name: "mlx-vlm", Status: doctor.Skip, Detail: "no Python"}, modelCheck(l, cfg.Model))
	case probe.Problem != "":
		werr := newWorkerError(probe.ProblemCode, probe.Problem, true)
		out = append(out, doctor.Check{Name: "python env", Status: doctor.Fail, Detail: probe.Problem + " (" + python + ")", Fix: werr.Advice})
	default:
		out = append(out, doctor.Check{Name: "python env", Status: doctor.OK, Detail: fmt.Sprintf("Python %s %s at %s", probe.Python, probe.Machine, python)})
	}
	out = append(out, mlxVLMCheck(ctx, l, python, probe))
	return append(out, modelCheck(l, cfg.Model))
}

// uvCheck finds uv and checks its version.
func uvCheck(ctx context.Context) doctor.Check {
	uv, err := FindUV()
	if err != nil {
		return doctor.Check{Name: "uv", Status: doctor.Fail, Detail: "not installed", Fix: "brew install uv (or: curl -LsSf https://astral.sh/uv/install.sh | sh)"}
	}
	v, err := UVVersion(ctx, uv, nil)
	if err != nil {
		return doctor.Check{Name: "uv", Status: doctor.Fail, Detail: err.Error(), Fix: "reinstall uv: brew install uv (or: curl -LsSf https://astral.sh/uv/install.sh | sh)"}
	}
	if problem := uvVersionProblem(v); problem != "" {
		return doctor.Check{Name: "uv", Status: doctor.Fail, Detail: fmt.Sprintf("uv %s at %s; narrator setup needs %s or newer", v, uv, MinUVVersion), Fix: uvUpgrade}
	}
	return doctor.Check{Name: "uv", Status: doctor.OK, Detail: "uv " + v + " at " + uv}
}

// mlxVLMCheck checks that python imports the pinned mlx-vlm, and, for setup's environment,
// that it was installed with this narrator's pins.
func mlxVLMCheck(ctx context.Context, l Layout, python string, probe PythonProbe) doctor.Check {
	if probe.Problem != "" {
		return doctor.Check{Name: "mlx-vlm", Status: doctor.Skip, Detail: "this Python cannot run MLX"}
	}
	if probe.MLXVLM == "" {
		return doctor.Check{Name: "mlx-vlm", Status: doctor.Fail, Detail: "not installed in " + python, Fix: "narrator setup"}
	}
	v, err := VerifyPython(ctx, l, python, nil)
	if err != nil {
		return doctor.Check{Name: "mlx-vlm", Status: doctor.Fail,
			Detail: fmt.Sprintf("%s is installed in %s but does not import: %s", probe.MLXVLM, python, failureDetail(err)),
			Fix:    "narrator setup (it repairs the environment)"}
	}
	if v.MLXVLM != MLXVLMVersion {
		return doctor.Check{Name: "mlx-vlm", Status: doctor.Warn, Detail: fmt.Sprintf("%s installed; narrator is tested with %s", v.MLXVLM, MLXVLMVersion), Fix: "narrator setup (installs the pinned version)"}
	}
	if python == l.Python() {
		if st, err := ReadSetupState(l); err == nil && st.PinsSHA256 != PinsHash() {
			return doctor.Check{Name: "mlx-vlm", Status: doctor.Warn,
				Detail: fmt.Sprintf("%s installed with other pins than this narrator's", v.MLXVLM),
				Fix:    "narrator setup (applies this narrator's pins)"}
		}
	}
	return doctor.Check{Name: "mlx-vlm", Status: doctor.OK, Detail: fmt.Sprintf("%s (mlx %s, %s)", v.MLXVLM, v.MLX, v.Device)}
}

func modelCheck(l Layout, model string) doctor.Check {
	path, err := ResolveModel(l, model)
	if err != nil {
		return doctor.Check{Name: "model", Status: doctor.Fail, Detail: model + ": " + err.Error(), Fix: "narrator setup" + modelFlag(model)}
	}
	return doctor.Check{Name: "model", Status: doctor.OK, Detail: model + " at " + path}
}
