package mlx

import (
	"context"
	_ "embed" // the worker script and its pins ship inside the binary
	"fmt"
	"log/slog"
	"math"
	"os"
	"os/exec"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"

	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/backoff"
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
	// RequestTimeout bounds one description; past it the worker is killed and restarted. Default: 30s.
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

	mu        sync.Mutex
	state     string
	pid       int
	ready     workerEvent
	stopErr   error
	stopped   chan struct{}
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

// mlxCall is one Describe waiting for the supervisor.
type mlxCall struct {
	ctx    context.Context
	frame  bus.Frame
	prompt string          // "" for the configured prompt
	result chan callResult // buffered: the supervisor never waits for Describe

	mu      sync.Mutex
	text    string
	firstAt time.Time
	notify  chan struct{} // buffered 1: the text changed
}

type callResult struct {
	res inference.Result
	err error
}

func (c *mlxCall) addText(s string) {
	c.mu.Lock()
	if c.firstAt.IsZero() {
		c.firstAt = time.Now()
	}
	c.text += s
	c.mu.Unlock()
	select {
	case c.notify <- struct{}{}:
	default:
	}
}

func (c *mlxCall) textSoFar() (string, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.text, c.firstAt
}

func (c *mlxCall) finish(res inference.Result, err error) {
	select {
	case c.result <- callResult{res, err}:
	default:
	}
}

// Describe sends the frame to the worker once it is ready and streams the text so far to
// partial. It returns when the answer is complete, on failure, or as soon as ctx ends (the
// worker is then told to cancel).
func (m *Describer) Describe(ctx context.Context, f bus.Frame, partial func(text string)) (inference.Result, error) {
	return m.DescribePrompt(ctx, f, "", partial)
}

// DescribePrompt is Describe with prompt in place of the configured prompt ("" keeps it); the
// system prompt stays.
func (m *Describer) DescribePrompt(ctx context.Context, f bus.Frame, prompt string, partial func(text string)) (inference.Result, error) {
	c := &mlxCall{ctx: ctx, frame: f, prompt: prompt, result: make(chan callResult, 1), notify: make(chan struct{}, 1)}
	select {
	case m.calls <- c:
	case <-ctx.Done():
		return inference.Result{}, ctx.Err()
	case <-m.stopped:
		return inference.Result{}, m.stoppedErr()
	}
	last := ""
	for {
		select {
		case <-c.notify:
			if t, _ := c.textSoFar(); t != last && partial != nil {
				last = t
				partial(t)
			}
		case r := <-c.result:
			return r.res, r.err
		case <-ctx.Done():
			return inference.Result{}, ctx.Err()
		}
	}
}

func (m *Describer) stoppedErr() error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.stopErr != nil {
		return m.stopErr
	}
	return ErrWorkerStopped
}

// Run, called once, starts the worker and keeps it running until ctx ends: it restarts it with capped
// backoff when it crashes, hangs or fails to load, and publishes each state change on
// bus.SubjectWorkers when conn is not nil. It returns nil when ctx ends, and an error (a
// *WorkerError with the fix) when the worker cannot run: then Describe fails too.
func (m *Describer) Run(ctx context.Context, conn *bus.Conn) error {
	m.conn = conn
	err := m.supervise(ctx)
	m.mu.Lock()
	m.stopErr = err
	m.pid = 0
	m.mu.Unlock()
	close(m.stopped)
	return err
}

func (m *Describer) supervise(ctx context.Context) error {
	failedStarts, consecutive := 0, 0
	for {
		p, ready, werr := m.launch(ctx)
		wasReady := werr == nil && ctx.Err() == nil
		if wasReady {
			failedStarts = 0
			m.setReady(p, ready)
			werr = m.serve(ctx, p, &consecutive)
		} else if werr != nil {
			failedStarts++
		}
		if p != nil {
			// A ready worker that is not failing may exit in order; any other is killed.
			grace := time.Duration(0)
			if wasReady && werr == nil {
				grace = m.cfg.ShutdownGrace
			}
			p.stop(grace)
		}
		if ctx.Err() != nil {
			m.publish(bus.WorkerState{State: bus.WorkerStopped})
			return nil
		}
		consecutive++
		if werr.Fatal || failedStarts >= m.cfg.MaxFailedStarts {
			if !werr.Fatal {
				werr = &WorkerError{Code: werr.Code, Fatal: true, Detail: werr.Detail,
					Advice: fmt.Sprintf("%s; gave up after %d failed starts", werr.Advice, failedStarts)}
			}
			m.publish(bus.WorkerState{State: bus.WorkerFailed, Code: werr.Code, Reason: werr.Error()})
			m.cfg.Logger.Error("mlx worker cannot run", "error", werr)
			return fmt.Errorf("mlx backend: %w", werr)
		}
		delay := backoff.Nth(m.cfg.BackoffMin, m.cfg.BackoffMax, consecutive)
		m.cfg.Logger.Warn("mlx worker restarts", "error", werr, "code", werr.Code, "in", delay)
		m.publish(bus.WorkerState{State: bus.WorkerRestarting, Code: werr.Code, Reason: werr.Error(), RetryInMS: delay.Milliseconds()})
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			m.publish(bus.WorkerState{State: bus.WorkerStopped})
			return nil
		}
		m.restarts.Add(1)
		m.mu.Lock()
		m.nRestarts++
		m.mu.Unlock()
	}
}

func noPython(python string, err error) *WorkerError {
	return &WorkerError{Code: "no_python", Fatal: true, Detail: err.Error(),
		Advice: fmt.Sprintf("cannot run the worker's Python %s: run `narrator setup`, or pass --worker-python (env NARRATOR_WORKER_PYTHON)", python)}
}

// launch starts a worker and waits for its ready event. The returned process, when not nil,
// must be stopped by the caller.
func (m *Describer) launch(ctx context.Context) (*workerProc, workerEvent, *WorkerError) {
	layout := Layout{Root: m.cfg.DataDir}
	env := append(os.Environ(), "PYTHONUNBUFFERED=1", "TOKENIZERS_PARALLELISM=false")
	env = append(env, m.cfg.Env...)
	env = append(env, hubEnv(layout, m.cfg.Online, env)...)
	p, err := startProc(procSpec{
		python: m.cfg.Python, args: []string{m.cfg.Script, "serve", "--model", m.cfg.ModelPath},
		env: env, log: m.cfg.Logger, garbage: m.invalid,
	})
	if err != nil {
		return nil, workerEvent{}, noPython(m.cfg.Python, err)
	}
	m.mu.Lock()
	m.pid = p.pid
	m.mu.Unlock()
	m.publish(bus.WorkerState{State: bus.WorkerStarting, PID: p.pid})
	m.cfg.Logger.Info("mlx worker starting", "pid", p.pid, "python", m.cfg.Python, "model", m.cfg.ModelPath)
	timer := time.NewTimer(m.cfg.LoadTimeout)
	defer timer.Stop()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				return p, workerEvent{}, m.crashed(p, "while loading the model")
			}
			switch ev.Event {
			case "ready":
				return p, ev, nil
			case "error":
				return p, workerEvent{}, newWorkerError(ev.Code, ev.Message, ev.Fatal)
			default:
				m.cfg.Logger.Debug("mlx worker event before ready ignored", "event", ev.Event)
			}
		case <-timer.C:
			return p, workerEvent{}, &WorkerError{Code: "load_timeout", Detail: oneLine(p.lastWords()),
				Advice: fmt.Sprintf("the model did not load within %s; the worker restarts", m.cfg.LoadTimeout)}
		case <-ctx.Done():
			return p, workerEvent{}, nil
		}
	}
}

// crashed explains a worker that exited on its own, from its exit status and last stderr lines.
func (m *Describer) crashed(p *workerProc, when string) *WorkerError {
	<-p.exited
	m.crashes.Add(1)
	words := p.lastWords()
	if f, ok := classifyFailure(words); ok {
		return &WorkerError{Code: f.code, Advice: f.advice, Fatal: f.fatal, Detail: lastLine(words)}
	}
	status := "was killed"
	if code := p.exitCode(); code >= 0 {
		status = fmt.Sprintf("exited with status %d", code)
	} else if err := p.exitError(); err != nil {
		status = err.Error()
	}
	return &WorkerError{Code: "crashed", Detail: lastLine(words),
		Advice: fmt.Sprintf("the model worker %s %s; it restarts", status, when)}
}

// lastLine is the last non-empty line of s.
func lastLine(s string) string {
	s = strings.TrimRight(s, "\r\n")
	return oneLine(s[strings.LastIndexByte(s, '\n')+1:])
}

func (m *Describer) setReady(p *workerProc, ev workerEvent) {
	m.mu.Lock()
	m.ready = ev
	m.mu.Unlock()
	m.cfg.Logger.Info("mlx worker ready", "pid", p.pid, "model_type", ev.ModelType, "load_s", ev.LoadS,
		"warmup_s", ev.WarmupS, "mlx_vlm", ev.Versions["mlx_vlm"], "python", ev.Versions["python"])
	m.publish(bus.WorkerState{State: bus.WorkerReady, PID: p.pid, LoadMS: ev.LoadS * 1000,
		WarmupMS: ev.WarmupS * 1000, Versions: ev.Versions})
}

// serve hands requests to a ready worker one at a time. It returns nil when ctx ends, or why
// the worker must be restarted.
func (m *Describer) serve(ctx context.Context, p *workerProc, consecutive *int) *WorkerError {
	for {
		select {
		case <-ctx.Done():
			return nil
		case ev, ok := <-p.events:
			if !ok {
				return m.crashed(p, "while idle")
			}
			m.cfg.Logger.Debug("mlx worker event with no request in flight ignored", "event", ev.Event, "id", ev.ID)
		case c := <-m.calls:
			if werr := m.do(ctx, p, c, consecutive); werr != nil {
				return werr
			}
		}
	}
}

// do runs one request. It returns why the worker must be restarted, or nil.
func (m *Describer) do(ctx context.Context, p *workerProc, c *mlxCall, consecutive *int) *WorkerError {
	id := bus.NewID()
	prompt := m.cfg.Prompt
	if c.prompt != "" {
		prompt = c.prompt
	}
	line, err := appendGenerate(nil, generateRequest{
		ID: id, Prompt: prompt, System: m.cfg.System, MaxTokens: m.cfg.MaxTokens,
		Temperature: m.cfg.Temperature, TopP: m.cfg.TopP,
	}, c.frame.JPEG)
	if err != nil {
		c.finish(inference.Result{}, err)
		return nil
	}
	sent := time.Now()
	if !p.send(line) {
		werr := m.crashed(p, "before it took a request")
		c.finish(inference.Result{}, werr)
		return werr
	}
	timer := time.NewTimer(m.cfg.RequestTimeout)
	defer timer.Stop()
	callDone := c.ctx.Done()
	for {
		select {
		case ev, ok := <-p.events:
			if !ok {
				werr := m.crashed(p, "while describing a frame")
				c.finish(inference.Result{}, werr)
				return werr
			}
			if ev.ID != id && !(ev.Event == "error" && ev.ID == "") {
				m.cfg.Logger.Debug("mlx worker event for another request ignored", "event", ev.Event, "id", ev.ID)
				continue
			}
			switch ev.Event {
			case "delta":
				c.addText(ev.Text)
			case "done":
				*consecutive = 0
				c.finish(m.result(c, ev, sent), nil)
				return nil
			case "error":
				werr := newWorkerError(ev.Code, ev.Message, ev.Fatal)
				c.finish(inference.Result{}, werr)
				if werr.Fatal { // a known failure every later request would hit too
					return werr
				}
				return nil
			}
		case <-timer.C:
			m.timeouts.Add(1)
			werr := &WorkerError{Code: "timeout", Advice: fmt.Sprintf("the model did not answer within %s; the worker restarts", m.cfg.RequestTimeout)}
			if callDone == nil {
				werr.Advice = fmt.Sprintf("the model did not stop within %s of a cancel; the worker restarts", m.cfg.CancelGrace)
			}
			c.finish(inference.Result{}, werr)
			return werr
		case <-callDone:
			callDone = nil
			p.send(controlLine("cancel", id))
			timer.Reset(m.cfg.CancelGrace)
		case <-ctx.Done():
			p.send(controlLine("cancel", id)) // so that the shutdown that follows is not kept waiting
			c.finish(inference.Result{}, ctx.Err())
			return nil
		}
	}
}

// result turns a done event into a Result with the worker's measurements.
func (m *Describer) result(c *mlxCall, ev workerEvent, sent time.Time) inference.Result {
	elapsed := time.Since(sent)
	_, firstAt := c.textSoFar()
	meta := map[string]any{
		"describer":         "mlx",
		"finish_reason":     ev.FinishReason,
		"prompt_tokens":     ev.PromptTokens,
		"generation_tokens": ev.GenerationTokens,
		"prompt_tps":        ev.PromptTPS,
		"generation_tps":    ev.GenerationTPS,
		"peak_memory_gb":    ev.PeakMemoryGB,
		"ttft_ms":           round1(ev.TTFTS * 1000),
		"worker_ms":         round1(ev.TotalS * 1000),
		// what the protocol and the two processes add around the model's own work
		"overhead_ms": round1(float64(elapsed.Microseconds())/1000 - ev.TotalS*1000),
	}
	if ev.ModelTTFTS != nil {
		meta["model_ttft_ms"] = round1(*ev.ModelTTFTS * 1000)
	}
	return inference.Result{Text: ev.Text, FirstTokenAt: firstAt, Metadata: meta}
}

func round1(v float64) float64 { return math.Round(v*10) / 10 }

// publish fills in the worker's identity and publishes a state change; without a bus it only
// records the state.
func (m *Describer) publish(s bus.WorkerState) {
	m.mu.Lock()
	m.state = s.State
	s.Restarts = m.nRestarts
	m.mu.Unlock()
	s.ID, s.Worker, s.Backend, s.Model, s.At = bus.NewID(), "mlx", "mlx", m.cfg.Model, time.Now().UTC()
	if m.conn == nil {
		return
	}
	if err := m.conn.PublishEvent(bus.SubjectWorkers, s); err != nil {
		m.cfg.Logger.Warn("worker state not published", "state", s.State, "err", err)
	}
}
