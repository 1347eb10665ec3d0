package mlx

import (
	_ "embed" // the worker script and its pins ship inside the binary
	"fmt"
	"log/slog"
	"os/exec"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/ratelog"

	"github.com/narrator-dev/narrator/inference"
)

// The worker script and the exact package versions `narrator setup` installs.
var (
	//go:embed worker/narrator_worker.py
	workerScript []byte
	//go:embed worker/constraints.txt
	workerConstraints []byte
)

// Pinned versions and the default model (see docs/mlx.md before changing them).
const (
	// DefaultModel is the model the mlx backend loads unless told otherwise.
	DefaultModel = "mlx-community/FastVLM-0.5B-bf16"
	// DefaultRevision pins DefaultModel to a commit known to load in mlx-vlm 0.4.4–0.6.14.
	DefaultRevision = "81ffe929046666c43de53691147b1669ba0f3a4c"
	// MLXVLMVersion is the mlx-vlm version setup installs.
	MLXVLMVersion = "0.6.15"
	// SystemPrompt sets the narrator's voice for the mlx backend.
	SystemPrompt = "You narrate a live camera for someone who cannot see it. Say plainly what is there and what is happening, in one short sentence."
)

// Config configures the mlx backend: the persistent FastVLM worker and its supervisor.
type Config struct {
	// Model is the hub id or local folder named by the user. Default: DefaultModel.
	Model string
	// ModelPath is the local folder the worker loads. Default: Model when it is a folder, else
	// the snapshot `narrator setup` recorded for Model (an error when there is none).
	ModelPath string
	// DataDir holds the environment, the model cache (HF_HOME) and the worker script. Default: DataDir().
	DataDir string
	// Python is the worker's interpreter. Default: the environment `narrator setup` made.
	Python string
	// Script is the worker script. Default: the embedded script, written into DataDir.
	Script string
	// Env adds KEY=VALUE entries to the worker's environment (after narrator's own; the
	// Hugging Face cache settings are always the data directory's).
	Env []string
	// Online lets the worker reach the Hugging Face hub. Default false: HF_HUB_OFFLINE=1.
	Online bool
	// Prompt is the user prompt; short prompts keep latency low. Default: DefaultPrompt.
	Prompt string
	// System is the system prompt. Default: SystemPrompt.
	System string
	// MaxTokens bounds each answer; always sent (mlx-vlm's own default is 2048). Default: 64.
	MaxTokens int
	// Temperature is the sampling temperature; 0 is greedy. Default: 0.
	Temperature float64
	// TopP is nucleus sampling's p. Default: 1.
	TopP float64
	// LoadTimeout bounds loading and warming up the model. Default: 3 minutes.
	LoadTimeout time.Duration
	// RequestTimeout bounds one description; past it the worker is killed and restarted. Once
	// enough answers are timed, the bound follows them (inference.Latencies: 4 × their p95, at
	// least 5 s, at most RequestTimeout). Default: 30s.
	RequestTimeout time.Duration
	// CancelGrace is how long a cancelled request may take to stop before the worker is
	// killed and restarted. Default: 2s.
	CancelGrace time.Duration
	// ShutdownGrace is how long the worker may take to exit when asked before its process
	// group is killed. Default: 1s.
	ShutdownGrace time.Duration
	// BackoffMin and BackoffMax bound the wait before a restart; it doubles per consecutive
	// failure. Defaults: 500ms and 30s.
	BackoffMin, BackoffMax time.Duration
	// MaxFailedStarts is how many consecutive starts may fail to reach ready before the
	// backend gives up. Default: 5.
	MaxFailedStarts int
	// Counters receives the worker's counts. Default: a private set.
	Counters *bus.Counters
	// Logger is where the supervisor and the worker's stderr log. Default: slog.Default().
	Logger *slog.Logger
}

// MLX describes frames with FastVLM through mlx-vlm in a persistent Python worker. It is a
// Runner: Run starts and supervises the worker; Describe waits until it is ready.
type Describer struct {
	cfg   Config
	calls chan *mlxCall
	conn  *bus.Conn

	invalid, restarts, timeouts, crashes *bus.Counter
	garbageLog                           *ratelog.Limiter // warnings about invalid lines, across restarts
	latency                              inference.Latencies

	mu        sync.Mutex
	state     string
	pid       int
	ready     workerEvent
	stopErr   error
	stopped   chan struct{} // closed when Run returns; replaced when it is called again
	gaveUp    bool          // the last Run gave up: the next is a quiet retry
	nRestarts int
}

// New fills in cfg's defaults, writes the worker script out and finds the model's folder.
func New(cfg Config) (*Describer, error) {
	if cfg.Model == "" {
		cfg.Model = DefaultModel
	}
	if cfg.DataDir == "" {
		d, err := DataDir()
		if err != nil {
			return nil, err
		}
		cfg.DataDir = d
	}
	layout := Layout{Root: cfg.DataDir}
	if cfg.Python == "" {
		cfg.Python = layout.Python()
	}
	if _, err := exec.LookPath(cfg.Python); err != nil {
		return nil, noPython(cfg.Python, err)
	}
	if cfg.ModelPath == "" {
		p, err := ResolveModel(layout, cfg.Model)
		if err != nil {
			return nil, err
		}
		cfg.ModelPath = p
	}
	if cfg.Script == "" {
		if err := WriteWorkerFiles(layout); err != nil {
			return nil, err
		}
		cfg.Script = layout.WorkerScript()
	}
	if cfg.Prompt == "" {
		cfg.Prompt = inference.DefaultPrompt
	}
	if cfg.System == "" {
		cfg.System = SystemPrompt
	}
	setDefault(&cfg.MaxTokens, 64)
	if cfg.MaxTokens < 1 || cfg.MaxTokens > 4096 {
		return nil, fmt.Errorf("mlx: max tokens %d: use 1 to 4096", cfg.MaxTokens)
	}
	if cfg.Temperature < 0 {
		return nil, fmt.Errorf("mlx: temperature %g: use 0 (greedy) or more", cfg.Temperature)
	}
	if cfg.TopP <= 0 {
		cfg.TopP = 1
	}
	setDefault(&cfg.LoadTimeout, 3*time.Minute)
	setDefault(&cfg.RequestTimeout, 30*time.Second)
	setDefault(&cfg.CancelGrace, 2*time.Second)
	setDefault(&cfg.ShutdownGrace, time.Second)
	setDefault(&cfg.BackoffMin, 500*time.Millisecond)
	setDefault(&cfg.BackoffMax, 30*time.Second)
	setDefault(&cfg.MaxFailedStarts, 5)
	if cfg.Counters == nil {
		cfg.Counters = bus.NewCounters()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	cfg.Logger = cfg.Logger.With("worker", "mlx")
	return &Describer{
		cfg:      cfg,
		calls:    make(chan *mlxCall),
		invalid:  cfg.Counters.Counter(bus.CounterInferenceWorkerLinesInvalid),
		restarts: cfg.Counters.Counter(bus.CounterInferenceWorkerRestarts),
		timeouts: cfg.Counters.Counter(bus.CounterInferenceWorkerTimeouts),
		crashes:  cfg.Counters.Counter(bus.CounterInferenceWorkerCrashes),
		stopped:  make(chan struct{}),

		garbageLog: ratelog.New(cfg.Logger, ratelog.DefaultEvery),
	}, nil
}

func setDefault[T int | time.Duration](v *T, def T) {
	if *v <= 0 {
		*v = def
	}
}

// Info identifies the mlx backend.
func (m *Describer) Info() inference.Info {
	return inference.Info{Backend: "mlx", Model: m.cfg.Model, IsModel: true}
}

// State is the worker's current state (a bus.Worker* constant, "" before Run).
func (m *Describer) State() string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.state
}

// PID is the running worker's process id (also its process group), 0 when none runs.
func (m *Describer) PID() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.pid
}
