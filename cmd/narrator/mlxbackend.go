package main

import (
	"errors"
	"fmt"

	"github.com/narrator-dev/narrator/inference"
)

// mlx builds the mlx backend (FastVLM in a persistent mlx-vlm worker). On a machine that cannot
// run MLX it refuses with the reason, unless --worker-python names an interpreter to try anyway.
func (o *inferOptions) mlx(e env) (inference.Describer, error) {
	if problem := inference.MLXPlatformProblem(inference.HostPlatform()); problem != "" {
		if o.workerPython == "" {
			return nil, fmt.Errorf("--backend mlx: %s. Use --backend heuristic, or --backend openai with a model server", problem)
		}
		e.log.Warn("backend: " + problem + "; trying the worker at --worker-python anyway (MLX off Apple Silicon is experimental)")
	}
	return inference.NewMLX(inference.MLXConfig{Model: o.model, Python: o.workerPython, Counters: e.counters, Logger: e.log})
}

// mlxAuto returns the mlx backend when this machine can run it and `narrator setup` has been
// run; otherwise it says why not.
func (o *inferOptions) mlxAuto(e env) (inference.Describer, string) {
	if problem := inference.MLXPlatformProblem(inference.HostPlatform()); problem != "" && o.workerPython == "" {
		return nil, "not on Apple Silicon (MLX needs it)"
	}
	d, err := o.mlx(e)
	if err != nil {
		var we *inference.WorkerError
		if errors.As(err, &we) {
			return nil, "the mlx backend is not ready: " + we.Advice
		}
		return nil, "the mlx backend is not ready: " + err.Error()
	}
	return d, ""
}
