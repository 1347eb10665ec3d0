package bus

import "time"

// SubjectWorkers carries WorkerState events: a model worker process starting, ready, restarting,
// failed or stopped.
const SubjectWorkers = Prefix + ".workers"

// Worker states.
const (
	WorkerStarting   = "starting"   // the process was launched and is loading its model
	WorkerReady      = "ready"      // the model is loaded and warmed up; requests are served
	WorkerRestarting = "restarting" // the process died, hung or failed to load; it restarts after RetryInMS
	WorkerFailed     = "failed"     // it cannot start for a reason a restart will not fix; Reason says how to fix it
	WorkerStopped    = "stopped"    // it was shut down on request
)

// WorkerState reports a model worker's lifecycle, on SubjectWorkers, whenever its state changes.
type WorkerState struct {
	ID      string `json:"id"`
	Worker  string `json:"worker"`  // which worker: the backend and its instance, e.g. "mlx"
	Backend string `json:"backend"` // the describer backend it serves, e.g. "mlx"
	Model   string `json:"model"`   // the model id or folder it loads
	State   string `json:"state"`   // WorkerStarting, WorkerReady, WorkerRestarting, WorkerFailed or WorkerStopped
	PID     int    `json:"pid,omitempty"`
	// Code is the machine-readable cause on restarting and failed, e.g. "timeout", "crashed",
	// "out_of_memory", "not_downloaded".
	Code string `json:"code,omitempty"`
	// Reason is the cause in words with the fix, on restarting and failed.
	Reason string `json:"reason,omitempty"`
	// Restarts counts the restarts since the worker was first started.
	Restarts int `json:"restarts"`
	// StandIn is the describer that describes while the model cannot (e.g. "heuristic"), on
	// restarting and failed events of a backend that falls back to one.
	StandIn string `json:"stand_in,omitempty"`
	// RetryInMS is the backoff before the next start, on restarting.
	RetryInMS int64 `json:"retry_in_ms,omitempty"`
	// LoadMS and WarmupMS are how long the model took to load and to answer a warm-up request, on ready.
	LoadMS   float64 `json:"load_ms,omitempty"`
	WarmupMS float64 `json:"warmup_ms,omitempty"`
	// Versions are the worker's runtime versions (python, mlx, mlx_vlm), on ready.
	Versions map[string]string `json:"versions,omitempty"`
	At       time.Time         `json:"at"`
}
