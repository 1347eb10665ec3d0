//go:build unix

package mlx

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/inference"
)

// brokenPython is an interpreter wrapper that fails the way a worker that cannot start does
// (stderr words, exit status 3) while the file it returns exists, and runs python3 once it is
// removed: a worker that cannot start until the user repairs it.
func brokenPython(t *testing.T) (python, broken string) {
	t.Helper()
	dir := t.TempDir()
	broken = filepath.Join(dir, "broken")
	python = filepath.Join(dir, "python")
	script := "#!/bin/sh\nif [ -e '" + broken + "' ]; then echo 'stand-in: the interpreter is broken' >&2; exit 3; fi\nexec " + python3(t) + " \"$@\"\n"
	if err := os.WriteFile(python, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	return python, broken
}

// TestMLXWorkerThatCannotStartDegradesToTheHeuristicAndComesBack: the mlx backend as
// `narrator run --backend mlx` builds it. A worker that cannot start no longer ends the run:
// after its failed starts the heuristic describes (said on the bus with the stand-in named),
// the worker is started again in the background without an event per attempt, and once it is
// ready the model describes again.
func TestMLXWorkerThatCannotStartDegradesToTheHeuristicAndComesBack(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "camera")
	watch := bustest.Conn(t, srv, "watch")
	states := bustest.Collect[bus.WorkerState](t, watch, bus.SubjectWorkers, 64)
	descs := bustest.Collect[bus.Description](t, watch, bus.AllDescriptions, 256)
	python, broken := brokenPython(t)
	h := newHarness(t, func(c *Config) { c.Python = python; c.MaxFailedStarts = 2 })
	d := degrading(h.m, h.m.cfg.Logger)
	st, err := inference.New(bustest.Conn(t, srv, "inference"), inference.Config{Describer: d})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- st.Run(ctx) }()
	defer func() {
		cancel()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("stage Run: %v", err)
			}
		case <-time.After(15 * time.Second):
			t.Error("the stage did not stop")
		}
	}()

	// Two failed starts, then failed, then the fallback's word that the heuristic stands in.
	var seen []string
	var failed, standIn bus.WorkerState
	for standIn.State == "" {
		s := bustest.Next(t, states, 30*time.Second)
		seen = append(seen, s.Worker+":"+s.State)
		switch {
		case s.State == bus.WorkerFailed:
			failed = s
		case s.Worker == "fallback":
			standIn = s
		}
	}
	if want := "mlx:starting mlx:restarting mlx:starting mlx:failed fallback:restarting"; strings.Join(seen, " ") != want {
		t.Errorf("states %q, want %q", seen, want)
	}
	if failed.Code != "crashed" || !strings.Contains(failed.Reason, "exited with status 3 while loading the model") ||
		!strings.Contains(failed.Reason, "2 starts in a row failed") || strings.Contains(failed.Reason, "restarts") {
		t.Errorf("failed event %+v: want the exit status and the failed starts, and no claim that it restarts", failed)
	}
	if standIn.StandIn != inference.BackendHeuristic || standIn.Backend != "mlx" || standIn.RetryInMS <= 0 {
		t.Errorf("fallback event %+v: want the heuristic standing in for mlx, with the wait", standIn)
	}

	// Meanwhile the heuristic describes.
	frame := func() {
		f := mlxFrame(t)
		f.Reason = bus.FrameChanged
		if err := pub.PublishFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	final := func() bus.Description {
		for {
			if d := bustest.Next(t, descs, 30*time.Second); !d.Partial {
				return d
			}
		}
	}
	frame()
	if got := final(); got.Backend != inference.BackendHeuristic || got.IsModel || got.Error != "" {
		t.Errorf("description while the worker cannot start: %+v, want the heuristic's", got)
	}
	// A few quiet retries fail (no event for them), then the user repairs it.
	bustest.Eventually(t, 30*time.Second, "a quiet retry", func() bool {
		return strings.Count(h.logs.String(), "mlx worker still cannot run") >= 1
	})
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	ready := bustest.Next(t, states, 60*time.Second)
	if ready.Worker != "mlx" || ready.State != bus.WorkerReady {
		t.Fatalf("after the repair: %+v, want mlx ready (and no event per failed retry)", ready)
	}
	bustest.Eventually(t, 30*time.Second, "a description by the model again", func() bool {
		frame()
		return final().Backend == "mlx"
	})
}

// TestMLXRunAgainAfterGivingUp: the describer is restartable. After Run gave up, Describe
// fails with inference.ErrUnavailable (and the reason); Run may be called again, and its one
// quiet start brings the worker back.
func TestMLXRunAgainAfterGivingUp(t *testing.T) {
	leakCheck(t)
	python, broken := brokenPython(t)
	h := newHarness(t, func(c *Config) { c.Python = python; c.MaxFailedStarts = 1 })
	h.start(nil)
	err := h.waitRun()
	if we := workerError(t, err); we.Code != "crashed" || strings.Contains(err.Error(), "starts in a row") {
		t.Fatalf("Run: %v, want crashed (one start, so no count of starts)", err)
	}
	_, err = h.m.Describe(context.Background(), mlxFrame(t), nil)
	if !errors.Is(err, inference.ErrUnavailable) || !strings.Contains(err.Error(), "exited with status 3") {
		t.Fatalf("Describe after Run gave up: %v, want ErrUnavailable with the reason", err)
	}
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	h.start(nil)
	h.waitState(bus.WorkerReady)
	if !h.m.Serving() {
		t.Error("ready but not Serving")
	}
	if res, _, err := h.describe(mlxFrame(t)); err != nil || res.Text != standinText {
		t.Fatalf("describe after Run again: %q, %v", res.Text, err)
	}
}

// TestMLXKilledWorkerIsSaidInWords: a worker killed with SIGKILL is "killed (signal 9)", not
// Go's "signal: killed".
func TestMLXKilledWorkerIsSaidInWords(t *testing.T) {
	leakCheck(t)
	srv := bustest.Server(t)
	conn := bustest.Conn(t, srv, "test")
	states := bustest.Collect[bus.WorkerState](t, conn, bus.SubjectWorkers, 16)
	h := newHarness(t, nil)
	h.start(conn)
	h.waitState(bus.WorkerReady)
	if err := syscall.Kill(h.m.PID(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var s bus.WorkerState
	for s.State != bus.WorkerRestarting {
		s = bustest.Next(t, states, 30*time.Second)
	}
	if s.Code != "crashed" || !strings.Contains(s.Reason, "the model worker was killed (signal 9) while idle") || strings.Contains(s.Reason, "signal: killed") {
		t.Errorf("restarting event %+v: want the worker killed (signal 9) while idle", s)
	}
}

// TestMLXTimeoutFollowsObservedLatency: once answers have been timed, a hung model costs
// inference.MinTimeout (answers of the stand-in take milliseconds), not the configured
// RequestTimeout (30 s by default).
func TestMLXTimeoutFollowsObservedLatency(t *testing.T) {
	leakCheck(t)
	h := newHarness(t, func(c *Config) { c.RequestTimeout = time.Minute })
	h.start(nil)
	h.waitState(bus.WorkerReady)
	for range 8 {
		if _, _, err := h.describe(mlxFrame(t)); err != nil {
			t.Fatal(err)
		}
	}
	h.misbehave("once:hang")
	_, _, err := h.describe(mlxFrame(t))
	if we := workerError(t, err); we.Code != "timeout" || !strings.Contains(we.Advice, "within "+inference.MinTimeout.String()) {
		t.Fatalf("hung model: %v, want a timeout after %s", err, inference.MinTimeout)
	}
}
