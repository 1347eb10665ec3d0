package main

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bench"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestRunServesMetrics(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	done := make(chan error, 1)
	var out lockedBuffer
	go func() {
		done <- run(ctx, []string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--metrics", addr, "--duration", "30s"}, &out, &out)
	}()
	client := &http.Client{Transport: &http.Transport{DisableKeepAlives: true}, Timeout: 2 * time.Second}
	var body string
	bustest.Eventually(t, 20*time.Second, "a described frame in the metrics", func() bool {
		resp, err := client.Get("http://" + addr + "/metrics")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		body = string(b)
		return strings.Contains(body, `narrator_inferences_total{backend="heuristic",outcome="described"}`)
	})
	for _, want := range []string{`narrator_frames_total{camera="cam0",reason="first"} 1`, `narrator_latency_seconds_bucket{stage="capture_to_inference"`,
		`narrator_counter_total{name="capture.frames_read"}`, "narrator_frames_dropped_total"} {
		if !strings.Contains(body, want) {
			t.Errorf("metrics lack %s", want)
		}
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("run: %v\n%s", err, out.String())
	}
}

func TestBadMetricsAddress(t *testing.T) {
	var out lockedBuffer
	err := run(context.Background(), []string{"run", "--source", "demo", "--speech", "none", "--backend", "heuristic", "--metrics", "9464", "--duration", "5s"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "HOST:PORT") {
		t.Errorf("--metrics 9464: error %v, want one asking for HOST:PORT", err)
	}
}

func TestBenchPrintsJSONLabelledAsSimulation(t *testing.T) {
	var stdout, stderr lockedBuffer
	err := run(context.Background(), []string{"bench", "--duration", "1500ms", "--ttft", "50ms", "--json"}, &stdout, &stderr)
	if err != nil {
		t.Fatalf("bench: %v\n%s", err, stderr.String())
	}
	var r bench.Report
	if err := json.Unmarshal([]byte(stdout.String()), &r); err != nil {
		t.Fatalf("bench --json printed no report: %v\n%s", err, stdout.String())
	}
	if r.Simulation != bench.SimulationLabel || !strings.Contains(stderr.String(), bench.SimulationLabel) {
		t.Errorf("the report is not labelled as a simulation: %q; stderr %q", r.Simulation, stderr.String())
	}
	if r.Model.TTFT != 50*time.Millisecond {
		t.Errorf("the report's simulated TTFT is %s, want 50ms", r.Model.TTFT)
	}
	if r.Pipeline.Name == "" || r.Naive.Name == "" || r.Pipeline.Totals.FramesRead == 0 || r.Naive.Totals.FramesRead == 0 {
		t.Errorf("the report lacks a run: %+v", r)
	}
}
