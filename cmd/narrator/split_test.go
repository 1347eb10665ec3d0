package main

import (
	"context"
	"net"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

var (
	natsServerOnce sync.Once
	natsServerBin  string
	natsServerErr  error
)

// natsServer starts a real nats-server process, built from the module version in go.mod, on addr,
// with extra arguments (e.g. -js).
func natsServer(t *testing.T, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	natsServerOnce.Do(func() {
		natsServerBin = filepath.Join(filepath.Dir(binary), "nats-server")
		out, err := exec.Command("go", "build", "-o", natsServerBin, "github.com/nats-io/nats-server/v2").CombinedOutput()
		if err != nil {
			natsServerErr = err
			t.Logf("%s", out)
		}
	})
	if natsServerErr != nil {
		t.Fatalf("build nats-server: %v", natsServerErr)
	}
	host, port, _ := strings.Cut(addr, ":")
	cmd := exec.Command(natsServerBin, append([]string{"-a", host, "-p", port}, extra...)...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
	waitListening(t, addr)
	return cmd
}

// stageProcess starts `narrator ARGS…` and stops it when the test ends.
func stageProcess(t *testing.T, args ...string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(binary, args...)
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
		if t.Failed() {
			t.Logf("narrator %s stderr:\n%s", strings.Join(args, " "), stderr.String())
		}
	})
	return cmd
}

func TestSplitStagesShareTheLoadAndSurviveFailures(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	url := "nats://" + addr
	server := natsServer(t, addr)

	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	watcher, err := bus.Dial(ctx, url, "test", bus.Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	descriptions := bustest.Collect[bus.Description](t, watcher, bus.AllDescriptions, 10000)
	stats := bustest.Collect[bus.Stats](t, watcher, bus.SubjectStats, 10000)

	inferA := stageProcess(t, "infer", "--nats", url, "--backend", "heuristic")
	stageProcess(t, "infer", "--nats", url, "--backend", "heuristic")
	stageProcess(t, "capture", "--nats", url, "--source", "demo", "--heartbeat", "200ms")

	var mu sync.Mutex
	described := map[string]int{} // frame id → final descriptions
	var latest time.Time          // captured_at of the newest final description
	go func() {
		for {
			d, err := descriptions.Next(context.Background())
			if err != nil {
				return
			}
			if d.Partial {
				continue
			}
			mu.Lock()
			described[d.FrameID]++
			if d.CapturedAt.After(latest) {
				latest = d.CapturedAt
			}
			mu.Unlock()
		}
	}()
	describedSince := func(t0 time.Time) bool {
		mu.Lock()
		defer mu.Unlock()
		return latest.After(t0)
	}

	// Both infer processes describe frames.
	workers := map[string]bool{}
	bustest.Eventually(t, 30*time.Second, "two infer processes to describe frames", func() bool {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Millisecond)
		defer cancel()
		for {
			s, err := stats.Next(ctx)
			if err != nil {
				return len(workers) == 2
			}
			if strings.HasPrefix(s.Process, "narrator infer") && s.Counters["inference.described"] > 0 {
				workers[s.Process] = true
			}
		}
	})

	// Killing one loses at most its in-flight frame; the other carries on.
	inferA.Process.Signal(syscall.SIGKILL)
	inferA.Wait()
	killed := time.Now()
	bustest.Eventually(t, 20*time.Second, "descriptions after one infer process was killed", func() bool { return describedSince(killed.Add(time.Second)) })

	// Restarting the server reconnects every stage.
	server.Process.Signal(syscall.SIGTERM)
	server.Wait()
	natsServer(t, addr)
	restarted := time.Now()
	bustest.Eventually(t, 30*time.Second, "descriptions after the server restarted", func() bool { return describedSince(restarted) })

	mu.Lock()
	defer mu.Unlock()
	for id, n := range described {
		if n > 1 {
			t.Errorf("frame %s was described %d times, want once", id, n)
		}
	}
}

// waitListening waits until addr accepts TCP connections.
func waitListening(t *testing.T, addr string) {
	t.Helper()
	bustest.Eventually(t, 10*time.Second, addr+" to listen", func() bool {
		c, err := (&net.Dialer{Timeout: 100 * time.Millisecond}).Dial("tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	})
}

func TestSplitCommandsNeedAServer(t *testing.T) {
	out, err := exec.Command(binary, "infer", "--nats", "nats://127.0.0.1:"+freePort(t), "--backend", "heuristic").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "no server answered") {
		t.Fatalf("infer without a server: %v\n%s", err, out)
	}
}
