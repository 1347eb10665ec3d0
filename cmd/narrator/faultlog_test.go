package main

import (
	"encoding/json"
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
	"github.com/narrator-dev/narrator/bus/bustest"
)

// busEvent is one line of `narrator run --json`, stamped when it arrived.
type busEvent struct {
	Subject string          `json:"subject"`
	Data    json.RawMessage `json:"data"`
	at      time.Time
}

// eventLog is the stdout of a --json narrator: every event, parsed as it arrives.
type eventLog struct {
	mu      sync.Mutex
	partial []byte
	events  []busEvent
	raw     strings.Builder
}

func (l *eventLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.raw.Write(p)
	l.partial = append(l.partial, p...)
	now := time.Now()
	for {
		i := strings.IndexByte(string(l.partial), '\n')
		if i < 0 {
			return len(p), nil
		}
		var e busEvent
		if json.Unmarshal(l.partial[:i], &e) == nil && e.Subject != "" {
			e.at = now
			l.events = append(l.events, e)
		}
		l.partial = l.partial[i+1:]
	}
}

// String is everything printed.
func (l *eventLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.raw.String()
}

// mark is a position in the log: the events after it are the ones that arrived since.
func (l *eventLog) mark() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.events)
}

// since returns the events of kind (bus.KindDescriptions, …, or a full subject) after mark,
// decoded into T, each with its arrival time.
func since[T any](t *testing.T, l *eventLog, mark int, kind string) ([]T, []time.Time) {
	t.Helper()
	l.mu.Lock()
	events := append([]busEvent(nil), l.events[min(mark, len(l.events)):]...)
	l.mu.Unlock()
	var out []T
	var at []time.Time
	for _, e := range events {
		if k, _ := bus.SubjectKind(e.Subject); k != kind && e.Subject != kind {
			continue
		}
		var v T
		if err := json.Unmarshal(e.Data, &v); err != nil {
			t.Fatalf("%s: %v", e.Subject, err)
		}
		out, at = append(out, v), append(at, e.at)
	}
	return out, at
}

// await waits until one event of kind after mark satisfies ok and returns it with its
// arrival time.
func await[T any](t *testing.T, l *eventLog, mark int, kind, what string, timeout time.Duration, ok func(T) bool) (T, time.Time) {
	t.Helper()
	return awaitAfter(t, l, mark, time.Time{}, kind, what, timeout, ok)
}

// awaitAfter is await for the events that arrived after a time as well as after mark.
func awaitAfter[T any](t *testing.T, l *eventLog, mark int, after time.Time, kind, what string, timeout time.Duration, ok func(T) bool) (T, time.Time) {
	t.Helper()
	var got T
	var at time.Time
	bustest.Eventually(t, timeout, what, func() bool {
		vs, ats := since[T](t, l, mark, kind)
		for i, v := range vs {
			if !ats[i].Before(after) && ok(v) {
				got, at = v, ats[i]
				return true
			}
		}
		return false
	})
	return got, at
}

// narratorProcess is the narrator binary run as a user runs it, its events and logs kept.
type narratorProcess struct {
	cmd    *exec.Cmd
	events *eventLog
	stderr *lockedBuffer
	done   chan error
}

// startNarrator starts `narrator ARGS…` with extra environment entries; the test's cleanup
// kills it if it is still running and shows its logs when the test failed.
func startNarrator(t *testing.T, env []string, args ...string) *narratorProcess {
	t.Helper()
	p := &narratorProcess{cmd: exec.Command(binary, args...), events: &eventLog{}, stderr: &lockedBuffer{}, done: make(chan error, 1)}
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.Stdout, p.cmd.Stderr = p.events, p.stderr
	if err := p.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() { p.done <- p.cmd.Wait() }()
	t.Cleanup(func() {
		_ = p.cmd.Process.Kill()
		<-p.done
		p.done <- nil
		if t.Failed() {
			t.Logf("narrator %s stderr:\n%s", truncate(strings.Join(args, " "), 300), truncate(p.stderr.String(), 20000))
		}
	})
	return p
}

// interrupt sends Ctrl-C and returns the exit status (-1 when it did not exit within a minute,
// a hang detector rather than a timing assertion).
func (p *narratorProcess) interrupt(t *testing.T) int {
	t.Helper()
	if err := p.cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	select {
	case err := <-p.done:
		p.done <- err
		if ee, ok := err.(*exec.ExitError); ok {
			return ee.ExitCode()
		}
		if err != nil {
			return -1
		}
		return 0
	case <-time.After(time.Minute):
		return -1
	}
}

// processGone reports whether no process of pid's process group (the mlx worker's) and no
// process with pid itself is left, zombies aside.
func processGone(pid int) bool {
	data, err := os.ReadFile(filepath.Join("/proc", itoa(pid), "stat"))
	if err != nil {
		return groupGone(pid)
	}
	s := string(data)
	fields := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
	return len(fields) > 0 && fields[0] == "Z" && groupGone(pid)
}

// groupGone reports whether process group pgid has no live member.
func groupGone(pgid int) bool {
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		data, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		s := string(data)
		f := strings.Fields(s[strings.LastIndexByte(s, ')')+1:])
		// state ppid pgrp …
		if len(f) > 2 && f[2] == itoa(pgid) && f[0] != "Z" {
			return false
		}
	}
	return true
}

func itoa(n int) string { return strconv.Itoa(n) }

// noSecret fails the test if secret appears in any of outputs.
func noSecret(t *testing.T, secret string, outputs map[string]string) {
	t.Helper()
	for name, out := range outputs {
		if strings.Contains(out, secret) {
			t.Errorf("%s show the secret %q", name, secret)
		}
	}
}
