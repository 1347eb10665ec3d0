package main

import (
	"context"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// TestFaultNATSServerKilledInSplitMode: the stages as separate processes (capture, infer,
// speak) on a real nats-server with a password. The server is killed with SIGKILL and started
// again on the same address: every stage reconnects, descriptions and speech resume, frames
// captured during the outage (buffered by the client, seconds old on arrival) are not
// described, the password appears in no stage's log, and Ctrl-C stops each stage with exit 0.
func TestFaultNATSServerKilledInSplitMode(t *testing.T) {
	t.Parallel()
	addr := "127.0.0.1:" + freePort(t)
	auth := []string{"--user", "narrator", "--pass", faultSecret}
	url := "nats://narrator:" + faultSecret + "@" + addr
	server := natsServer(t, addr, auth...)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	watcher, err := bus.Dial(ctx, "nats://"+addr, "test", bus.Auth{User: "narrator", Password: faultSecret}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer watcher.Close()
	descriptions := bustest.Collect[bus.Description](t, watcher, bus.AllDescriptions, 10000)
	speech := bustest.Collect[bus.SpeechEvent](t, watcher, bus.SubjectSpeech, 10000)
	var mu sync.Mutex
	var descs []bus.Description
	var spoken []time.Time // when each finished speech event arrived
	go func() {
		for {
			d, err := descriptions.Next(context.Background())
			if err != nil {
				return
			}
			if !d.Partial {
				mu.Lock()
				descs = append(descs, d)
				mu.Unlock()
			}
		}
	}()
	go func() {
		for {
			e, err := speech.Next(context.Background())
			if err != nil {
				return
			}
			if e.State == bus.SpeechFinished && e.Kind != bus.KindAnnouncement {
				mu.Lock()
				spoken = append(spoken, time.Now())
				mu.Unlock()
			}
		}
	}()
	describedAfter := func(t0 time.Time) (bus.Description, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, d := range descs {
			if d.CompletedAt.After(t0) {
				return d, true
			}
		}
		return bus.Description{}, false
	}
	spokenAfter := func(t0 time.Time) (time.Time, bool) {
		mu.Lock()
		defer mu.Unlock()
		for _, at := range spoken {
			if at.After(t0) {
				return at, true
			}
		}
		return time.Time{}, false
	}

	stages := map[string]*narratorProcess{
		"capture": startNarrator(t, nil, "capture", "--nats", url, "--source", "demo", "--heartbeat", "300ms"),
		"infer":   startNarrator(t, nil, "infer", "--nats", url, "--backend", "heuristic"),
		"speak":   startNarrator(t, nil, "speak", "--nats", url, "--speech", "text", "--refresh", "1s", "--announce", "none"),
	}
	start := time.Now()
	bustest.Eventually(t, time.Minute, "descriptions and speech from the split stages", func() bool {
		_, d := describedAfter(start)
		_, s := spokenAfter(start)
		return d && s
	})

	if err := server.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	_ = server.Wait()
	killedAt := time.Now()
	time.Sleep(2 * time.Second) // the outage under test: frames captured now wait in the client
	natsServer(t, addr, auth...)
	restartedAt := time.Now()
	var first bus.Description
	bustest.Eventually(t, time.Minute, "descriptions after the server restarted", func() bool {
		var ok bool
		first, ok = describedAfter(restartedAt)
		return ok
	})
	var spokeAt time.Time
	bustest.Eventually(t, time.Minute, "speech after the server restarted", func() bool {
		var ok bool
		spokeAt, ok = spokenAfter(restartedAt)
		return ok
	})
	t.Logf("recovery: nats-server killed for %s: first description %s after the restart (frame captured %s after it), speech %s after",
		restartedAt.Sub(killedAt).Round(10*time.Millisecond), first.CompletedAt.Sub(restartedAt).Round(10*time.Millisecond),
		first.CapturedAt.Sub(restartedAt).Round(10*time.Millisecond), spokeAt.Sub(restartedAt).Round(10*time.Millisecond))
	mu.Lock()
	for _, d := range descs {
		if d.CapturedAt.After(killedAt.Add(500*time.Millisecond)) && d.CapturedAt.Before(restartedAt.Add(-500*time.Millisecond)) {
			t.Errorf("frame %s captured during the outage (%s after the kill) was described after it: %q", d.FrameID, d.CapturedAt.Sub(killedAt), d.Text)
		}
	}
	mu.Unlock()

	for name, p := range stages {
		if code := p.interrupt(t); code != 0 {
			t.Errorf("%s: Ctrl-C exit %d, want 0", name, code)
		}
		if pid := p.cmd.Process.Pid; len(children(pid)) != 0 {
			t.Errorf("%s left children: %v", name, children(pid))
		}
		noSecret(t, faultSecret, map[string]string{name + " logs": p.stderr.String(), name + " output": p.events.String()})
		if !strings.Contains(p.stderr.String(), "reconnected") {
			t.Errorf("%s did not say it reconnected", name)
		}
	}
}
