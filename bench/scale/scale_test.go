package scale

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"
)

var (
	buildOnce sync.Once
	exe       string
	buildErr  error
)

// narratorBinary builds the narrator (without cgo: the hosts need no camera or audio) once
// for the package's tests.
func narratorBinary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "narrator-scale-test-")
		if err != nil {
			buildErr = err
			return
		}
		exe = filepath.Join(dir, "narrator")
		cmd := exec.Command("go", "build", "-o", exe, "github.com/narrator-dev/narrator/cmd/narrator")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			buildErr = err
			exe = string(out)
		}
	})
	if buildErr != nil {
		t.Fatalf("build narrator: %v\n%s", buildErr, exe)
	}
	return exe
}

func TestMain(m *testing.M) {
	code := m.Run()
	if exe != "" && buildErr == nil {
		_ = os.RemoveAll(filepath.Dir(exe))
	}
	os.Exit(code)
}

// TestHarnessReportIsConsistent runs the harness briefly with real `narrator infer` hosts and
// checks that its report adds up (not its timings).
func TestHarnessReportIsConsistent(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real narrator processes for seconds")
	}
	opt := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opt)
	r, err := Run(context.Background(), Config{Exe: narratorBinary(t), Cameras: 4, Hosts: []int{1, 2},
		Latency: 100 * time.Millisecond, ChangeEvery: 300 * time.Millisecond, Duration: 2 * time.Second, Warmup: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != 2 || r.Rows[0].Hosts != 1 || r.Rows[1].Hosts != 2 {
		t.Fatalf("rows %+v, want one for 1 host and one for 2", r.Rows)
	}
	if r.Rows[0].Efficiency != 1 {
		t.Errorf("one host's efficiency %v, want 1 (it is the base)", r.Rows[0].Efficiency)
	}
	for _, row := range r.Rows {
		sum := 0
		for _, n := range row.PerHost {
			sum += n
		}
		switch {
		case row.Described == 0 || row.Throughput <= 0:
			t.Errorf("%d hosts: nothing described: %+v", row.Hosts, row)
		case sum != row.Described:
			t.Errorf("%d hosts: described %d, per host %v", row.Hosts, row.Described, row.PerHost)
		case len(row.PerHost) != row.Hosts:
			t.Errorf("%d hosts: %d described anything (%v): pulling hosts all work under load", row.Hosts, len(row.PerHost), row.PerHost)
		case row.Changes == 0 || row.Lost > row.Changes:
			t.Errorf("%d hosts: %d changes, %d lost", row.Hosts, row.Changes, row.Lost)
		case row.ReactionP50 <= 0 || row.ReactionP50 > row.ReactionP99:
			t.Errorf("%d hosts: reaction p50 %s, p99 %s", row.Hosts, row.ReactionP50, row.ReactionP99)
		case row.CPU <= 0 || row.CPUPerFrame <= 0:
			t.Errorf("%d hosts: CPU %s, per frame %s", row.Hosts, row.CPU, row.CPUPerFrame)
		}
		lost := 0
		for _, n := range row.LostPerCamera {
			lost += n
		}
		if lost != row.Lost {
			t.Errorf("%d hosts: lost %d, per camera %v", row.Hosts, row.Lost, row.LostPerCamera)
		}
	}
	var md strings.Builder
	if err := r.WriteMarkdown(&md); err != nil {
		t.Fatal(err)
	}
	// 4 cameras changing every 300 ms (13 changes/s) do not keep two 100 ms hosts (20/s) busy
	for _, want := range []string{"SIMULATED", "| 1 | ", "| 2 | ", "No capacity plan from this run"} {
		if !strings.Contains(md.String(), want) {
			t.Errorf("report lacks %q:\n%s", want, md.String())
		}
	}
}

// TestKilledHostsFrameIsNotLost kills a pulling `narrator infer` (SIGKILL) while its model works
// on a frame: the other host describes that frame once the server hands it out again (or counts
// it stale); it is never lost silently. Each camera changes rarely, so no newer frame of the
// camera supersedes it meanwhile.
func TestKilledHostsFrameIsNotLost(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real narrator processes for seconds")
	}
	opt := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opt)
	r, err := Run(context.Background(), Config{Exe: narratorBinary(t), Cameras: 16, Hosts: []int{2},
		Latency: 1500 * time.Millisecond, ChangeEvery: 24 * time.Second, Duration: 12 * time.Second, Warmup: 300 * time.Millisecond,
		KillHost: true})
	if err != nil {
		t.Fatal(err)
	}
	row := r.Rows[0]
	if row.Killed == "" {
		t.Fatal("the first host never worked on a frame, so it was not killed")
	}
	if !strings.HasPrefix(row.KilledOutcome, "described again by host2") && row.KilledOutcome != "stale (counted)" {
		t.Fatalf("frame %s of the killed host: %s", row.Killed, row.KilledOutcome)
	}
	if row.Redelivered == 0 {
		t.Errorf("the surviving host counted no redelivery")
	}
	t.Logf("frame %s: %s", row.Killed, row.KilledOutcome)
}

// TestSlowAndFastHostsAreBothBusy: with --pull, a host whose model is four times faster
// describes more, and the slow host still works: each takes a frame when it is free.
func TestSlowAndFastHostsAreBothBusy(t *testing.T) {
	if testing.Short() {
		t.Skip("runs real narrator processes for seconds")
	}
	opt := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opt)
	r, err := Run(context.Background(), Config{Exe: narratorBinary(t), Cameras: 8, Hosts: []int{2},
		Latencies: []time.Duration{100 * time.Millisecond, 400 * time.Millisecond}, ChangeEvery: 300 * time.Millisecond,
		Duration: 3 * time.Second, Warmup: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	fast, slow := r.Rows[0].PerHost["host1"], r.Rows[0].PerHost["host2"]
	if slow == 0 || fast <= slow {
		t.Fatalf("fast host described %d, slow host %d: want both working, the fast one more", fast, slow)
	}
	t.Logf("fast %d, slow %d", fast, slow)
}

// TestHarnessOnACluster runs the harness on three routed nodes, pulling (the work queue on
// JetStream in the cluster) and pushed (the queue group across routes): the hosts, each on
// another node than the cameras, describe frames, every host its share, and the report says
// it ran on a cluster.
func TestHarnessOnACluster(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a cluster and real narrator processes for seconds")
	}
	opt := goleak.IgnoreCurrent()
	defer goleak.VerifyNone(t, opt)
	for _, mode := range []string{ModePull, ModePush} {
		t.Run(mode, func(t *testing.T) {
			r, err := Run(context.Background(), Config{Exe: narratorBinary(t), Cameras: 4, Hosts: []int{2}, Cluster: 3, Mode: mode,
				Latency: 100 * time.Millisecond, ChangeEvery: 100 * time.Millisecond, Duration: 2 * time.Second, Warmup: time.Second})
			if err != nil {
				t.Fatal(err)
			}
			row := r.Rows[0]
			if row.Described == 0 || len(row.PerHost) != 2 {
				t.Errorf("described %d, per host %v: want both hosts describing", row.Described, row.PerHost)
			}
			var md strings.Builder
			if err := r.WriteMarkdown(&md); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(md.String(), "a cluster of 3 NATS nodes") {
				t.Errorf("the report does not say it ran on a cluster:\n%s", md.String())
			}
		})
	}
}

// TestClusterConfigRefused: a cluster of one node, or one together with a server of the
// user's own, is refused before anything starts.
func TestClusterConfigRefused(t *testing.T) {
	for _, c := range []Config{{Exe: "x", Cluster: 1}, {Exe: "x", Cluster: -2}, {Exe: "x", Cluster: 3, NATS: "nats://127.0.0.1:4222"}} {
		if _, err := c.withDefaults(); err == nil {
			t.Errorf("cluster %d with NATS %q accepted", c.Cluster, c.NATS)
		}
	}
}
