// Package scale is the scale harness (`narrator bench --scale`): a real NATS server (the
// nats-server Go module the narrator embeds, with JetStream), M cheap synthetic cameras, and N
// real `narrator infer` processes, each against its own SIMULATED model server with a fixed
// latency. It measures throughput for each N, the scaling efficiency, the scene changes lost per
// camera, the reaction time from a change to its description, and CPU per frame, and writes
// them as a markdown table with a capacity plan. Nothing here runs a real model.
package scale

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/internal/procgroup"
)

// Modes of sharing the frames among hosts.
const (
	ModePull = "pull" // `narrator infer --pull`: the JetStream work queue
	ModePush = "push" // the NATS queue group
)

// Defaults of Config.
const (
	DefaultCameras     = 16
	DefaultLatency     = time.Second
	DefaultChangeEvery = 2 * time.Second
	DefaultDuration    = 20 * time.Second
	DefaultWarmup      = 3 * time.Second
)

// DefaultHosts are the numbers of inference hosts measured unless told.
var DefaultHosts = []int{1, 2, 4}

// Config configures a run of the harness.
type Config struct {
	// Exe is the narrator binary whose `infer` command the hosts run. Required.
	Exe string
	// Cameras is M, the synthetic cameras. Default: DefaultCameras.
	Cameras int
	// Hosts are the numbers of inference hosts to measure, one run each. Default: DefaultHosts.
	Hosts []int
	// Latency is each simulated model's fixed time per description. Default: DefaultLatency.
	Latency time.Duration
	// Latencies, when set, are the hosts' latencies in turn (host i gets Latencies[i mod
	// len]), e.g. a slow and a fast host.
	Latencies []time.Duration
	// ChangeEvery is how often each camera's scene changes, on average (each interval drawn
	// between half and one and a half of it). Default: DefaultChangeEvery.
	ChangeEvery time.Duration
	// Duration is the measured window of each run. Default: DefaultDuration.
	Duration time.Duration
	// Warmup runs before the window, so the hosts are busy when it opens. Default: DefaultWarmup.
	Warmup time.Duration
	// Mode is ModePull (the default) or ModePush.
	Mode string
	// MaxAge is the hosts' --max-age. Default: inference.DefaultMaxAge; inference.Off: no
	// limit.
	MaxAge time.Duration
	// NATS, when set, is the server (URL, or URLs separated by commas) to use instead of
	// starting one; it needs JetStream for ModePull.
	NATS string
	// Cluster, when 2 or more, starts that many routed nats-server nodes (JetStream on each
	// for ModePull) instead of one server: the cameras and the harness use node 1, host i
	// node i+1 (modulo the nodes), so frames and descriptions cross routes. Not with NATS.
	Cluster int
	// KillHost kills the first host (SIGKILL) in the middle of a request, a third into the
	// window, and reports what became of that frame. Needs two hosts or more.
	KillHost bool
	// Seed seeds the cameras' change times. Default: 1.
	Seed uint64
	// Stderr receives the hosts' logs. Default: discarded.
	Stderr io.Writer
	// Logger is where the harness logs. Default: discard.
	Logger *slog.Logger
}

func (c Config) withDefaults() (Config, error) {
	if c.Exe == "" {
		return c, errors.New("scale: the narrator binary to run is required")
	}
	if c.Cameras <= 0 {
		c.Cameras = DefaultCameras
	}
	if len(c.Hosts) == 0 {
		c.Hosts = DefaultHosts
	}
	if c.Latency <= 0 {
		c.Latency = DefaultLatency
	}
	if c.ChangeEvery <= 0 {
		c.ChangeEvery = DefaultChangeEvery
	}
	if c.Duration <= 0 {
		c.Duration = DefaultDuration
	}
	if c.Warmup <= 0 {
		c.Warmup = DefaultWarmup
	}
	if c.Mode == "" {
		c.Mode = ModePull
	}
	if c.Cluster < 0 || c.Cluster == 1 || (c.Cluster > 1 && c.NATS != "") {
		return c, fmt.Errorf("scale: cluster of %d nodes: use 2 or more, and no NATS server of your own", c.Cluster)
	}
	if c.Mode != ModePull && c.Mode != ModePush {
		return c, fmt.Errorf("scale: mode %q: use %s or %s", c.Mode, ModePull, ModePush)
	}
	if c.MaxAge == 0 {
		c.MaxAge = inference.DefaultMaxAge
	}
	if c.Seed == 0 {
		c.Seed = 1
	}
	if c.Stderr == nil {
		c.Stderr = io.Discard
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	for _, n := range c.Hosts {
		if n < 1 {
			return c, fmt.Errorf("scale: %d hosts: use 1 or more", n)
		}
		if c.KillHost && n < 2 {
			return c, errors.New("scale: killing a host needs two hosts or more in every run")
		}
	}
	return c, nil
}

// latency is host i's model latency.
func (c Config) latency(i int) time.Duration {
	if len(c.Latencies) > 0 {
		return c.Latencies[i%len(c.Latencies)]
	}
	return c.Latency
}

// Run measures each number of hosts in turn.
func Run(ctx context.Context, cfg Config) (Report, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return Report{}, err
	}
	r := Report{Config: cfg}
	for _, n := range cfg.Hosts {
		row, err := runOnce(ctx, cfg, n)
		if err != nil {
			return r, fmt.Errorf("%d hosts: %w", n, err)
		}
		r.Rows = append(r.Rows, row)
	}
	r.efficiency()
	return r, nil
}

// host is one `narrator infer` process and its model.
type host struct {
	name  string
	model *model
	cmd   *exec.Cmd
	done  chan error // Wait's result
	tail  *procgroup.Tail
	// exited is set once done was read; only the harness's goroutine touches it.
	exited bool
}

// runOnce runs the harness with n hosts.
func runOnce(ctx context.Context, cfg Config, n int) (Row, error) {
	row := Row{Mode: cfg.Mode, Hosts: n, Cameras: cfg.Cameras, PerHost: map[string]int{}}
	cpu0 := selfCPU()
	url := cfg.NATS
	hostURL := func(int) string { return url }
	if cfg.Cluster > 1 {
		c, err := startCluster(cfg.Cluster, cfg.Mode == ModePull)
		if err != nil {
			return row, err
		}
		defer c.shutdown()
		url, hostURL = c.url(0), func(i int) string { return c.url(i + 1) }
	} else if url == "" {
		dir, err := os.MkdirTemp("", "narrator-scale-")
		if err != nil {
			return row, err
		}
		defer func() { _ = os.RemoveAll(dir) }()
		srv, err := bus.StartServer(bus.ServerConfig{Listen: "127.0.0.1:0", StoreDir: dir, Logger: cfg.Logger})
		if err != nil {
			return row, err
		}
		defer srv.Shutdown()
		url = srv.ClientURL()
	}
	conn, err := bus.Dial(ctx, url, "narrator-scale", bus.Auth{}, cfg.Logger)
	if err != nil {
		return row, err
	}
	defer conn.Close()
	rec, err := record(ctx, conn)
	if err != nil {
		return row, err
	}
	defer rec.stop()

	hosts, err := startHosts(ctx, cfg, n, hostURL)
	defer stopHosts(hosts)
	if err != nil {
		return row, err
	}
	if err := waitReady(ctx, conn, hosts); err != nil {
		return row, err
	}

	cams := newCameras(cfg, conn)
	start := time.Now()
	window := [2]time.Time{start.Add(cfg.Warmup), start.Add(cfg.Warmup + cfg.Duration)}
	camCtx, stopCams := context.WithDeadline(ctx, window[1])
	defer stopCams()
	var wg sync.WaitGroup
	wg.Go(func() { cams.run(camCtx) })
	if cfg.KillHost {
		wg.Go(func() { row.Killed = killMidRequest(camCtx, hosts[0], window[0].Add(cfg.Duration/3)) })
	}
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return row, err
	}
	rec.drain(ctx, cfg)
	stats, _ := bus.GatherStats(ctx, conn, time.Second)
	for _, st := range stats {
		row.Redelivered += st.Counters[bus.CounterInferenceFramesRedelivered]
		row.Stale += st.Counters[bus.CounterInferenceFramesStale]
	}
	stopHosts(hosts)
	row.CPU = selfCPU() - cpu0
	for _, h := range hosts {
		row.CPU += childCPU(h.cmd)
	}
	row.analyse(cams.log(), rec.finals(), window, cfg)
	return row, nil
}

// startHosts starts n `narrator infer` processes, each with its own model; host i connects
// to url(i).
func startHosts(ctx context.Context, cfg Config, n int, url func(i int) string) ([]*host, error) {
	var hosts []*host
	for i := range n {
		name := fmt.Sprintf("host%d", i+1)
		m, err := startModel("sim-"+name, cfg.latency(i))
		if err != nil {
			return hosts, err
		}
		args := []string{"infer", "--nats", url(i), "--backend", "openai", "--openai-url", m.url, "--model", m.name,
			"--preempt=false", "--max-age", max(0, cfg.MaxAge).String(), "--log-level", "warn"}
		if cfg.Mode == ModePull {
			args = append(args, "--pull")
		}
		cmd := exec.CommandContext(ctx, cfg.Exe, args...)
		procgroup.Own(cmd)
		cmd.Env = append(os.Environ(), "NARRATOR_OPENAI_API_KEY=")
		tail := &procgroup.Tail{Lines: 20}
		cmd.Stderr = io.MultiWriter(cfg.Stderr, tail)
		h := &host{name: name, model: m, cmd: cmd, done: make(chan error, 1), tail: tail}
		hosts = append(hosts, h)
		if err := cmd.Start(); err != nil {
			return hosts, fmt.Errorf("start %s: %w", cfg.Exe, err)
		}
		go func() { h.done <- cmd.Wait() }()
	}
	return hosts, nil
}

// stopHosts stops every host still running (SIGTERM, then the group killed after 10 s) and
// closes the models. It may be called again.
func stopHosts(hosts []*host) {
	for _, h := range hosts {
		if h.cmd.Process != nil && !h.exited {
			_ = h.cmd.Process.Signal(terminate)
		}
	}
	for _, h := range hosts {
		if h.cmd.Process != nil && !h.exited {
			select {
			case <-h.done:
			case <-time.After(10 * time.Second):
				_ = procgroup.Kill(h.cmd)
				<-h.done
			}
			h.exited = true
		}
		h.model.close()
	}
}

// waitReady waits until every host answers a stats request: its stages are running.
func waitReady(ctx context.Context, conn *bus.Conn, hosts []*host) error {
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		stats, err := bus.GatherStats(ctx, conn, 300*time.Millisecond)
		if err != nil {
			return err
		}
		ready := 0
		for _, st := range stats {
			if strings.Contains(st.Process, "infer") {
				ready++
			}
		}
		if ready >= len(hosts) {
			return nil
		}
		for _, h := range hosts {
			select {
			case err := <-h.done:
				h.exited = true
				return fmt.Errorf("%s stopped at start (%v): %s", h.name, err, h.tail.String())
			default:
			}
		}
	}
	return errors.New("the inference hosts did not start within 60 s")
}

// killMidRequest waits until at, then until the host's model works on a frame, and kills the
// host's process group outright; it returns that frame's ID.
func killMidRequest(ctx context.Context, h *host, at time.Time) string {
	select {
	case <-ctx.Done():
		return ""
	case <-time.After(time.Until(at)):
	}
	for ctx.Err() == nil {
		if f := h.model.busyWith(); f != "" {
			_ = procgroup.Kill(h.cmd)
			return f
		}
		time.Sleep(2 * time.Millisecond)
	}
	return ""
}

// recorder keeps every final description.
type recorder struct {
	q      *bus.Queue[bus.Description]
	cancel context.CancelFunc
	done   chan struct{}
	mu     sync.Mutex
	got    []bus.Description
	last   time.Time // when the last one arrived
}

func record(ctx context.Context, conn *bus.Conn) (*recorder, error) {
	q, err := bus.SubscribeEvents[bus.Description](conn, bus.AllDescriptions, bus.QueueConfig{Name: "scale.descriptions", Size: 1 << 16, Policy: bus.DropNewest})
	if err != nil {
		return nil, err
	}
	if err := conn.Flush(); err != nil {
		return nil, err
	}
	ctx, cancel := context.WithCancel(ctx)
	r := &recorder{q: q, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		for {
			d, err := q.Next(ctx)
			if err != nil {
				return
			}
			if d.Partial {
				continue
			}
			r.mu.Lock()
			r.got = append(r.got, d)
			r.last = time.Now()
			r.mu.Unlock()
		}
	}()
	return r, nil
}

// drain waits for the descriptions still in flight when the cameras stopped: until none came
// for three model latencies (at least two seconds), or MaxAge and the redelivery wait passed.
func (r *recorder) drain(ctx context.Context, cfg Config) {
	quiet := 3 * slices.Max(append([]time.Duration{cfg.Latency}, cfg.Latencies...))
	quiet = max(quiet, 2*time.Second)
	limit := time.Now().Add(max(0, cfg.MaxAge) + bus.DefaultWorkAckWait + quiet)
	for time.Now().Before(limit) && ctx.Err() == nil {
		r.mu.Lock()
		last := r.last
		r.mu.Unlock()
		if time.Since(last) > quiet {
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

func (r *recorder) finals() []bus.Description {
	r.mu.Lock()
	defer r.mu.Unlock()
	return slices.Clone(r.got)
}

func (r *recorder) stop() {
	r.cancel()
	<-r.done
	_ = r.q.Close()
}

// sceneOf is the scene number in a synthetic frame's ID (CAMERA-SCENE), or -1.
func sceneOf(frameID string) (camera string, scene int) {
	i := strings.LastIndexByte(frameID, '-')
	if i < 0 {
		return "", -1
	}
	n := 0
	for _, c := range frameID[i+1:] {
		if c < '0' || c > '9' {
			return "", -1
		}
		n = n*10 + int(c-'0')
	}
	return frameID[:i], n
}

// jitter draws an interval between half and one and a half of every.
func jitter(rng *rand.Rand, every time.Duration) time.Duration {
	return every/2 + time.Duration(rng.Int64N(int64(every)+1))
}
