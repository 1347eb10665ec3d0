package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"go.uber.org/goleak"
)

// binary is the narrator built once for the tests that run it as a separate process.
var binary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "narrator-test")
	if err != nil {
		panic(err)
	}
	binary = filepath.Join(dir, "narrator")
	// Runs keep their history in a data directory of the tests', not the user's.
	os.Setenv("NARRATOR_HOME", filepath.Join(dir, "home"))
	if out, err := exec.Command("go", "build", "-o", binary, ".").CombinedOutput(); err != nil {
		os.Stderr.Write(out)
		panic(err)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// lockedBuffer is a bytes.Buffer safe for concurrent writers.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// jsonEvents parses --json output, failing on any line that is not one JSON event.
func jsonEvents(t *testing.T, out string) map[string][]json.RawMessage {
	t.Helper()
	bySubject := map[string][]json.RawMessage{}
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		var ev struct {
			Subject string          `json:"subject"`
			Data    json.RawMessage `json:"data"`
		}
		if err := json.Unmarshal([]byte(line), &ev); err != nil || ev.Subject == "" {
			t.Fatalf("stdout line is not a JSON event: %q (%v)", line, err)
		}
		key := ev.Subject
		if i := strings.LastIndex(key, "."); strings.Contains(key, ".frames.") || strings.Contains(key, ".descriptions.") {
			key = key[:i]
		}
		bySubject[key] = append(bySubject[key], ev.Data)
	}
	return bySubject
}

func TestRunJSONPublishesTheWholePipeline(t *testing.T) {
	defer goleak.VerifyNone(t)
	// Until the first decision (not for a fixed time: a loaded machine starts slowly); the
	// start-up announcement was said before it.
	stdout, stderr := runUntil(t, `"subject":"narrator.v1.decisions"`, "run", "--source", "demo", "--backend", "heuristic",
		"--speech", "text", "--json")
	events := jsonEvents(t, stdout)
	for _, subject := range []string{"narrator.v1.frames", "narrator.v1.descriptions", bus.SubjectDecisions, bus.SubjectUtterances, bus.SubjectSpeech} {
		if len(events[subject]) == 0 {
			t.Errorf("no %s events in --json output; got subjects %v", subject, keys(events))
		}
	}
	var d bus.Description
	if err := json.Unmarshal(events["narrator.v1.descriptions"][0], &d); err != nil {
		t.Fatal(err)
	}
	if d.IsModel || d.Backend != "heuristic" || d.Text == "" || d.CapturedAt.IsZero() || d.CompletedAt.Before(d.InferenceStartedAt) {
		t.Errorf("first description %+v: want heuristic, not a model, with text and ordered timestamps", d)
	}
	if !strings.Contains(stderr, "» ") {
		t.Errorf("--speech text with --json should print utterances on stderr; stderr:\n%s", stderr)
	}
}

func keys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

func TestRunAnnouncesWhatAutoPicked(t *testing.T) {
	var stdout, stderr lockedBuffer
	if err := run(context.Background(), []string{"run", "--duration", "300ms", "--speech", "auto", "--backend", "auto"}, &stdout, &stderr); err != nil {
		t.Fatalf("run: %v", err)
	}
	for _, want := range []string{"source:", "backend:", "speech:", "bus:"} {
		if !strings.Contains(stderr.String(), want) {
			t.Errorf("stderr does not announce %q:\n%s", want, stderr.String())
		}
	}
}

func TestHelpListsEveryFlagWithDefault(t *testing.T) {
	for _, cmd := range commands() {
		var stdout, stderr lockedBuffer
		if err := run(context.Background(), []string{cmd.name, "--help"}, &stdout, &stderr); err != nil {
			t.Fatalf("%s --help: %v", cmd.name, err)
		}
		if !strings.Contains(stderr.String(), "Usage: narrator "+cmd.name) {
			t.Errorf("%s --help printed no usage:\n%s", cmd.name, stderr.String())
		}
	}
	var stderr lockedBuffer
	run(context.Background(), []string{"run", "--help"}, &stderr, &stderr)
	for _, flag := range []string{"-source", "-backend", "-speech", "-listen", "-nats", "-duration", "-json", "(default \"auto\")"} {
		if !strings.Contains(stderr.String(), flag) {
			t.Errorf("run --help does not mention %s", flag)
		}
	}
}

func TestBadArgumentsAreClearErrors(t *testing.T) {
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"fly"}, `unknown command "fly"`},
		{[]string{"run", "--speech", "loud"}, "--speech"},
		{[]string{"run", "--backend", "oracle"}, "--backend"},
		{[]string{"run", "--source", "toaster", "--duration", "1s"}, "valid forms"},
		{[]string{"run", "--listen", "nonsense"}, "HOST:PORT"},
		{[]string{"run", "--quality", "150"}, "--quality 150"},
		{[]string{"run", "--max-edge", "-1"}, "--max-edge"},
		{[]string{"run", "--threshold", "0"}, "--threshold"},
		{[]string{"run", "--listen", "127.0.0.1:0", "--nats", "nats://127.0.0.1:1"}, "exclude each other"},
	}
	for _, c := range cases {
		var out lockedBuffer
		err := run(context.Background(), c.args, &out, &out)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("narrator %v: error %v, want one containing %q", c.args, err, c.want)
		}
	}
}

func freePort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return strconv.Itoa(l.Addr().(*net.TCPAddr).Port)
}

// startRun starts `narrator run` as a process listening on addr and waits until it accepts clients.
func startRun(t *testing.T, addr string, extra ...string) *exec.Cmd {
	t.Helper()
	args := append([]string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--listen", addr}, extra...)
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
			t.Logf("the narrator's stderr:\n%s", stderr.String())
		}
	})
	deadline := time.Now().Add(10 * time.Second)
	for {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return cmd
		}
		if time.Now().After(deadline) {
			t.Fatalf("narrator run never listened on %s:\n%s", addr, stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestListenSeesARunAndSurvivesAKilledListener(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	startRun(t, addr, "--heartbeat", "500ms")

	// A listener killed with -9 must not disturb the run.
	victim := exec.Command(binary, "listen", "--nats", "nats://"+addr)
	victimOut, _ := victim.StdoutPipe()
	if err := victim.Start(); err != nil {
		t.Fatal(err)
	}
	if !bufio.NewScanner(victimOut).Scan() {
		t.Fatal("first listener printed nothing")
	}
	victim.Process.Signal(syscall.SIGKILL)
	victim.Wait()

	listener := exec.Command(binary, "listen", "--nats", "nats://"+addr, "--json")
	out, _ := listener.StdoutPipe()
	if err := listener.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { listener.Process.Kill(); listener.Wait() }()
	sc := bufio.NewScanner(out)
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		var ev struct {
			Subject string          `json:"subject"`
			Data    bus.Description `json:"data"`
		}
		if err := json.Unmarshal(sc.Bytes(), &ev); err != nil {
			t.Fatalf("listen --json printed %q: %v", sc.Text(), err)
		}
		if strings.HasPrefix(ev.Subject, "narrator.v1.descriptions.") && !ev.Data.Partial && ev.Data.Text != "" {
			return // descriptions still flow after the first listener was killed
		}
	}
	t.Fatal("listen ended without printing a description")
}

func TestSecondRunOnABusyPortFailsNamingIt(t *testing.T) {
	port := freePort(t)
	startRun(t, "127.0.0.1:"+port)
	out, err := exec.Command(binary, "run", "--speech", "none", "--listen", "127.0.0.1:"+port).CombinedOutput()
	if err == nil {
		t.Fatalf("second run on port %s succeeded:\n%s", port, out)
	}
	if !strings.Contains(string(out), port) {
		t.Fatalf("error does not name port %s:\n%s", port, out)
	}
}

func TestSIGTERMStopsARunCleanly(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	cmd := startRun(t, addr)
	cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run exited with %v after SIGTERM, want status 0", err)
		}
	case <-time.After(10 * time.Second): // a hang detector, not a speed check
		t.Fatal("run did not exit after SIGTERM")
	}
}

func TestRunStopsCleanlyWhenItsReaderGoesAway(t *testing.T) {
	cmd := exec.Command(binary, "run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--json", "--keys=false")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	if !bufio.NewScanner(out).Scan() {
		t.Fatal("no event printed")
	}
	out.Close() // what `| head -1` does
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("run exited with %v when its reader went away, want status 0:\n%s", err, stderr.String())
		}
	case <-time.After(20 * time.Second): // a hang detector, not a speed check
		cmd.Process.Kill()
		t.Fatal("run did not stop after its reader went away")
	}
}
