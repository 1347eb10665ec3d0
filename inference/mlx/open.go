package mlx

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/narrator-dev/narrator/inference"
)

func init() {
	inference.Register(inference.Backend{Name: inference.BackendMLX, Open: open, Find: find, DefaultModel: DefaultModel})
}

// open builds the mlx backend (FastVLM in a persistent mlx-vlm worker). On a machine that cannot
// run MLX it refuses with the reason, unless o.Python names an interpreter to try anyway.
func open(_ context.Context, o inference.Options) (inference.Describer, error) {
	if problem := PlatformProblem(HostPlatform()); problem != "" {
		if o.Python == "" {
			return nil, fmt.Errorf("--backend mlx: %s. Use --backend heuristic, or --backend openai with a model server", problem)
		}
		o.Logger.Warn("backend: trying the worker at --worker-python anyway (MLX off Apple Silicon is experimental)", "problem", problem)
	}
	d, err := New(Config{Model: o.Model, Python: o.Python, Counters: o.Counters, Logger: o.Logger})
	if err != nil {
		return nil, err
	}
	return degrading(d, o.Logger), nil
}

// degrading wraps d so that when its worker cannot start (or gives up after its failed starts)
// the heuristic describes, the worker is started again in the background with capped backoff,
// and d describes again once its worker is ready.
func degrading(d *Describer, log *slog.Logger) inference.Describer {
	return inference.NewRestartableFallback(d, inference.NewHeuristic(), log)
}

// find returns the mlx backend when this machine can run it and `narrator setup` has been run;
// otherwise it says why not.
func find(ctx context.Context, o inference.Options) (inference.Describer, string) {
	if problem := PlatformProblem(HostPlatform()); problem != "" && o.Python == "" {
		return nil, "not on Apple Silicon (MLX needs it)"
	}
	d, err := open(ctx, o)
	if err != nil {
		var we *WorkerError
		if errors.As(err, &we) {
			return nil, "the mlx backend is not ready: " + we.Advice
		}
		return nil, "the mlx backend is not ready: " + err.Error()
	}
	return d, "mlx (FastVLM through mlx-vlm, set up by `narrator setup`)"
}
