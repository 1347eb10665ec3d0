package main

// Worker faults: `narrator run --backend mlx` with the real worker script under python3 against
// the stand-in mlx_vlm in inference/mlx/testdata (see its README), which misbehaves on request.

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// mlxWorkerEnv returns what `narrator run` needs to run the stand-in worker: its arguments
// (python3 as --worker-python, a model folder as --model) and environment, with the file that
// says how the next generation misbehaves.
func mlxWorkerEnv(t *testing.T, python string) (args, env []string, misbehave func(string)) {
	t.Helper()
	if python == "" {
		p, err := exec.LookPath("python3")
		if err != nil {
			t.Fatal("python3 is needed for the worker faults (scripts/install-deps --test installs it)")
		}
		python = p
	}
	testdata, err := filepath.Abs("../../inference/mlx/testdata")
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	model := filepath.Join(dir, "model")
	if err := os.MkdirAll(model, 0o755); err != nil {
		t.Fatal(err)
	}
	for name, data := range map[string]string{"config.json": `{"model_type":"llava_qwen2","eos_token_id":151645}`, "model.safetensors": "weights"} {
		if err := os.WriteFile(filepath.Join(model, name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	gen := filepath.Join(dir, "generate")
	args = []string{"--backend", "mlx", "--worker-python", python, "--model", model}
	env = []string{"PYTHONPATH=" + testdata, "FAKE_MLX_VLM_GENERATE_FILE=" + gen, "NARRATOR_HOME=" + filepath.Join(dir, "home")}
	return args, env, func(mode string) {
		if err := os.WriteFile(gen, []byte(mode), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// TestFaultWorkerCrashHangGarbageStopKill: one run of the narrator with the mlx backend
// through each worker fault in turn. Each ends with a new worker ready and a description by
// the model again; the restarting event says what happened in words; garbage on stdout is
// counted and warned about once; Ctrl-C exits 0 and leaves no worker process. The recovery of
// each (fault → restarting → ready → next description) is logged for docs/reliability.md.
func TestFaultWorkerCrashHangGarbageStopKill(t *testing.T) {
	t.Parallel()
	// The interpreter, wrapped: while the file garbage exists, junk lines join the worker's stdout.
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage")
	python3, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the worker faults")
	}
	wrapper := filepath.Join(dir, "python")
	// The junk writer ends when the worker has exited (a zombie): it must not hold the worker's
	// stdout open, or a crash would be seen only at the request timeout.
	script := "#!/bin/sh\nworker=$$\n( while sleep 0.01 && [ \"$(cut -d' ' -f3 /proc/$worker/stat 2>/dev/null)\" != Z ] && [ -e /proc/$worker ]; do " +
		"[ -e '" + garbage + "' ] && echo 'stand-in junk: not an event'; done ) &\nexec " + python3 + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	mlxArgs, env, misbehave := mlxWorkerEnv(t, wrapper)
	args := append([]string{"run", "--json", "--source", "demo", "--speech", "none", "--heartbeat", "300ms"}, mlxArgs...)
	n := startNarrator(t, env, args...)
	pids := map[int]bool{}
	ready := func(mark int, what string) (bus.WorkerState, time.Time) {
		w, at := await(t, n.events, mark, bus.SubjectWorkers, what, 90*time.Second, func(w bus.WorkerState) bool {
			return w.Worker == "mlx" && w.State == bus.WorkerReady
		})
		pids[w.PID] = true
		return w, at
	}
	described := func(mark int, after time.Time, what string) time.Time {
		_, at := awaitAfter(t, n.events, mark, after, bus.KindDescriptions, what, 90*time.Second, func(d bus.Description) bool {
			return !d.Partial && d.Backend == "mlx" && d.Error == "" && d.Text != ""
		})
		return at
	}
	w, _ := ready(0, "the worker ready")
	// Eight answers timed, so the request timeout follows them (5 s here, not 30 s).
	bustest.Eventually(t, 2*time.Minute, "8 descriptions by the model", func() bool {
		ds, _ := since[bus.Description](t, n.events, 0, bus.KindDescriptions)
		answers := 0
		for _, d := range ds {
			if !d.Partial && d.Backend == "mlx" && d.Error == "" {
				answers++
			}
		}
		return answers >= 8
	})

	faults := []struct {
		name   string
		cause  func(pid int)
		code   string
		reason string
	}{
		{"crash", func(int) { misbehave("once:crash") }, "crashed", "exited with status 3 while describing a frame"},
		// A hung worker is found by the request timeout, or sooner by the cancel's 2 s grace when
		// a scene change preempted the generation it hangs in.
		{"hang", func(int) { misbehave("once:hang") }, "timeout", "did not answer within 5s|did not stop within 2s of a cancel"},
		{"SIGSTOP", func(pid int) { _ = syscall.Kill(pid, syscall.SIGSTOP) }, "timeout", "did not answer within 5s|did not stop within 2s of a cancel"},
		{"SIGKILL", func(pid int) { _ = syscall.Kill(pid, syscall.SIGKILL) }, "crashed", "was killed (signal 9)"},
	}
	for _, f := range faults {
		mark := n.events.mark()
		faultAt := time.Now()
		f.cause(w.PID)
		r, restartAt := await(t, n.events, mark, bus.SubjectWorkers, f.name+": restarting", 90*time.Second, func(w bus.WorkerState) bool {
			return w.State == bus.WorkerRestarting
		})
		if r.Code != f.code || !containsAny(r.Reason, strings.Split(f.reason, "|")) || strings.Contains(r.Reason, "signal: ") {
			t.Errorf("%s: restarting %+v, want code %s saying %q", f.name, r, f.code, f.reason)
		}
		var readyAt time.Time
		w, readyAt = ready(mark, f.name+": a new worker ready")
		describedAt := described(mark, readyAt, f.name+": a description by the model again")
		t.Logf("recovery: worker %s: restarting after %s, ready after %s, next description after %s",
			f.name, restartAt.Sub(faultAt).Round(10*time.Millisecond), readyAt.Sub(faultAt).Round(10*time.Millisecond), describedAt.Sub(faultAt).Round(10*time.Millisecond))
	}

	// Garbage on the worker's stdout (the wrapper writes a line every 10 ms): counted, warned
	// about once, and the model keeps describing.
	mark := n.events.mark()
	if err := os.WriteFile(garbage, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	garbageFrom := time.Now()
	for range 3 {
		described(n.events.mark(), time.Time{}, "garbage: descriptions go on")
	}
	stats, _ := await(t, n.events, mark, bus.SubjectStats, "stats counting the garbage lines", 30*time.Second, func(s bus.Stats) bool {
		return s.Counters[bus.CounterInferenceWorkerLinesInvalid] >= 20
	})
	if err := os.Remove(garbage); err != nil {
		t.Fatal(err)
	}
	if rs, _ := since[bus.WorkerState](t, n.events, mark, bus.SubjectWorkers); len(rs) != 0 {
		t.Errorf("garbage lines changed the worker's state: %+v", rs)
	}
	warned := strings.Count(n.stderr.String(), "not a protocol event")
	if over := time.Since(garbageFrom); warned < 1 || warned > 1+int(over/(10*time.Second)) {
		t.Errorf("%d warnings about %d garbage lines in %s, want the first and then one per 10 s", warned, stats.Counters[bus.CounterInferenceWorkerLinesInvalid], over.Round(time.Second))
	}
	t.Logf("garbage: %d invalid lines counted, %d warnings logged", stats.Counters[bus.CounterInferenceWorkerLinesInvalid], warned)

	if code := n.interrupt(t); code != 0 {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
	for pid := range pids {
		if !processGone(pid) {
			t.Errorf("worker %d (or its group) outlived the narrator", pid)
			_ = syscall.Kill(-pid, syscall.SIGKILL)
		}
	}
	if strings.Contains(n.stderr.String(), "Traceback") || strings.Contains(n.events.String(), "Traceback") {
		t.Error("a Python traceback reached the user")
	}
}

// TestFaultWorkerCannotStartDegradesAndComesBack: a worker that cannot start no longer ends
// the run (it once exited 1 after 7.8 s with "it restarts; gave up after 5 failed starts"): the
// heuristic describes, the announcements say so, and once the worker can start (the user
// repaired it) the model is back, said aloud, without restarting the narrator.
func TestFaultWorkerCannotStartDegradesAndComesBack(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	broken := filepath.Join(dir, "broken")
	python3, err := exec.LookPath("python3")
	if err != nil {
		t.Fatal("python3 is needed for the worker faults")
	}
	wrapper := filepath.Join(dir, "python")
	script := "#!/bin/sh\nif [ -e '" + broken + "' ]; then echo 'stand-in: the interpreter is broken' >&2; exit 3; fi\nexec " + python3 + " \"$@\"\n"
	if err := os.WriteFile(wrapper, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(broken, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	mlxArgs, env, _ := mlxWorkerEnv(t, wrapper)
	args := append([]string{"run", "--json", "--source", "demo", "--speech", "none", "--heartbeat", "300ms"}, mlxArgs...)
	started := time.Now()
	n := startNarrator(t, env, args...)
	said := func(mark int, text string) time.Time {
		_, at := await(t, n.events, mark, bus.SubjectUtterances, "the announcement "+text, 2*time.Minute, func(u bus.Utterance) bool {
			return u.Kind == bus.KindAnnouncement && strings.Contains(u.Text, text)
		})
		return at
	}
	failedAt := said(0, "The model cannot start. Run narrator doctor to find out why.")
	said(0, "Meanwhile the heuristic describer, which is not a model, describes, and the model is tried again.")
	mark := n.events.mark()
	await(t, n.events, mark, bus.KindDescriptions, "a description by the heuristic", time.Minute, func(d bus.Description) bool {
		return !d.Partial && d.Backend == "heuristic" && d.Error == ""
	})
	if f, _ := await(t, n.events, 0, bus.SubjectWorkers, "the failed event", time.Second, func(w bus.WorkerState) bool { return w.State == bus.WorkerFailed }); strings.Contains(f.Reason, "restarts") {
		t.Errorf("failed event %+v contradicts itself", f)
	}
	t.Logf("cannot start: heuristic describing %s after start (5 failed starts)", failedAt.Sub(started).Round(10*time.Millisecond))

	repaired := time.Now()
	if err := os.Remove(broken); err != nil {
		t.Fatal(err)
	}
	mark = n.events.mark()
	backAt := said(mark, "The model is back.")
	_, describedAt := await(t, n.events, mark, bus.KindDescriptions, "a description by the model", time.Minute, func(d bus.Description) bool {
		return !d.Partial && d.Backend == "mlx" && d.Error == ""
	})
	t.Logf("recovery: worker cannot start, repaired: back after %s, next model description after %s (one retry wait of 1-30 s, plus the start)",
		backAt.Sub(repaired).Round(10*time.Millisecond), describedAt.Sub(repaired).Round(10*time.Millisecond))
	if code := n.interrupt(t); code != 0 {
		t.Errorf("Ctrl-C: exit %d, want 0", code)
	}
}

func containsAny(s string, subs []string) bool {
	for _, sub := range subs {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
