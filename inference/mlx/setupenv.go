package mlx

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"
)

// PinsHash identifies what setup installs: the mlx-vlm requirement and the embedded
// constraints. setup.json keeps the hash of the pins last installed, so a newer narrator's
// pins are applied when setup runs again, and doctor can say the environment is stale.
func PinsHash() string {
	sum := sha256.Sum256(append([]byte("mlx-vlm=="+MLXVLMVersion+"\n"), workerConstraints...))
	return hex.EncodeToString(sum[:])
}

// Verified is what the worker script's verify subcommand reports after importing mlx_vlm and
// mlx.core in an interpreter.
type Verified struct {
	Python, Executable, MLXVLM, MLX, Device string
}

// VerifyPython imports mlx_vlm and mlx.core with python (no model is loaded). Package metadata
// alone does not prove an install: an interrupted one can leave mlx-vlm's metadata without its
// files or dependencies. A failure is a *WorkerError with the cause and its fix.
func VerifyPython(ctx context.Context, l Layout, python string, env []string) (Verified, error) {
	if err := WriteWorkerFiles(l); err != nil {
		return Verified{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, 2*time.Minute) // the first import compiles bytecode
	defer cancel()
	evs, tail, err := runHelper(ctx, python, []string{l.WorkerScript(), "verify"}, helperEnv(l, false, env), nil)
	for _, ev := range evs {
		switch ev.Event {
		case "verified":
			return Verified{Python: ev.Python, Executable: ev.Executable, MLXVLM: ev.MLXVLM, MLX: ev.MLX, Device: ev.Device}, nil
		case "error":
			return Verified{}, newWorkerError(ev.Code, ev.Message, true)
		}
	}
	if err == nil {
		err = errors.New("no answer")
	}
	return Verified{}, fmt.Errorf("verify %s: %w %s", python, err, oneLine(lastLine(tail)))
}

// brokenVenv says why an environment folder that does not run cannot be used.
func brokenVenv(l Layout) string {
	if _, err := os.Lstat(l.Python()); err != nil {
		return "it has no interpreter, as after an interrupted setup"
	}
	if _, err := os.Stat(l.Python()); err != nil {
		return "its interpreter links to a Python that is gone"
	}
	return "its interpreter does not run"
}

// setupPython makes (or keeps) the managed Python 3.12 environment. An environment that does
// not work (a dangling interpreter link, a half-made folder) is removed and made again: uv
// refuses to create one over an existing folder without --clear (uv >= 0.10), and refuses to
// --clear a folder that is not a virtual environment without --force (uv >= 0.12.5), so setup
// removes its own folder itself, which works with every uv.
func setupPython(ctx context.Context, cfg SetupConfig, l Layout, say func(string, ...any)) (PythonProbe, error) {
	if _, err := os.Lstat(l.Venv()); err == nil {
		p, err := ProbePython(ctx, l, l.Python(), cfg.Env)
		if err == nil && p.Problem == "" {
			say("Python environment: %s (Python %s, %s), already there", l.Venv(), p.Python, p.Machine)
			return p, nil
		}
		why := brokenVenv(l)
		if err == nil {
			why = p.Problem
		}
		say("Python environment at %s does not work (%s); removing it and making it again", l.Venv(), why)
		if err := os.RemoveAll(l.Venv()); err != nil {
			return PythonProbe{}, fmt.Errorf("remove the broken Python environment: %w", err)
		}
	}
	args := []string{"venv", "--python", "3.12", "--managed-python", l.Venv()}
	say("creating a Python 3.12 environment: uv %s", strings.Join(args, " "))
	if err := runTool(ctx, cfg, cfg.UV, args); err != nil {
		return PythonProbe{}, fmt.Errorf("create the Python environment: %w", err)
	}
	p, err := ProbePython(ctx, l, l.Python(), cfg.Env)
	if err != nil {
		return PythonProbe{}, fmt.Errorf("the new Python environment does not run: %w", err)
	}
	if p.Problem != "" {
		return PythonProbe{}, newWorkerError(p.ProblemCode, p.Problem, true)
	}
	say("Python environment: %s (Python %s, %s)", l.Venv(), p.Python, p.Machine)
	return p, nil
}

// setupMLXVLM installs the pinned mlx-vlm with the embedded constraints. The install always
// runs: uv does nothing when the environment already satisfies the pins, and changed pins are
// applied (with --upgrade when setup.json says other pins were installed before). Then the
// environment must import mlx_vlm and mlx.core; when it does not although uv found nothing to
// do (an interrupted install left metadata behind), setup reinstalls once with --reinstall.
func setupMLXVLM(ctx context.Context, cfg SetupConfig, l Layout, p PythonProbe, st *SetupState, say func(string, ...any)) (Verified, error) {
	hash := PinsHash()
	args := []string{"pip", "install", "--python", l.Python(), "mlx-vlm==" + MLXVLMVersion, "-c", l.Constraints()}
	switch {
	case p.MLXVLM == "":
		say("installing mlx-vlm %s with pinned dependencies", MLXVLMVersion)
	case st.PinsSHA256 != hash:
		say("mlx-vlm %s is installed with other pins than this narrator's; applying the pinned %s and its dependencies", p.MLXVLM, MLXVLMVersion)
		args = append(args, "--upgrade")
	default:
		say("mlx-vlm %s: checking the installed packages against the pins", p.MLXVLM)
	}
	say("uv %s", strings.Join(args, " "))
	if err := runTool(ctx, cfg, cfg.UV, args); err != nil {
		return Verified{}, fmt.Errorf("install mlx-vlm: %w", err)
	}
	v, err := VerifyPython(ctx, l, l.Python(), cfg.Env)
	if err != nil {
		say("the environment does not import mlx-vlm (%s); reinstalling its packages", failureDetail(err))
		args = append(args, "--reinstall")
		say("uv %s", strings.Join(args, " "))
		if err := runTool(ctx, cfg, cfg.UV, args); err != nil {
			return Verified{}, fmt.Errorf("reinstall mlx-vlm: %w", err)
		}
		if v, err = VerifyPython(ctx, l, l.Python(), cfg.Env); err != nil {
			return Verified{}, fmt.Errorf("mlx-vlm does not import even after reinstalling: %w", err)
		}
	}
	if v.MLXVLM != MLXVLMVersion {
		return Verified{}, fmt.Errorf("install mlx-vlm: after installing, the environment imports mlx-vlm %q, want %s", v.MLXVLM, MLXVLMVersion)
	}
	st.PinsSHA256 = hash
	say("mlx-vlm %s: installed and imports (mlx %s, device %s)", v.MLXVLM, v.MLX, v.Device)
	return v, nil
}

// failureDetail is what went wrong, without the advice to run setup: for messages setup and
// doctor print next to their own fix.
func failureDetail(err error) string {
	var we *WorkerError
	if errors.As(err, &we) && we.Detail != "" {
		return we.Detail
	}
	return err.Error()
}
