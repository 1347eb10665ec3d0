package metrics_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
	"github.com/narrator-dev/narrator/metrics"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// scrape fetches url and returns its samples: "name{labels}" → value.
func scrape(t *testing.T, url string) map[string]float64 {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("scrape: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("scrape: %s", resp.Status)
	}
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]float64{}
	for _, line := range strings.Split(string(body), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err != nil {
			t.Fatalf("sample %q: %v", line, err)
		}
		out[line[:i]] = v
	}
	return out
}

func TestScrapeSeesBusEventsAndCounters(t *testing.T) {
	srv := bustest.Server(t)
	pub := bustest.Conn(t, srv, "pub")
	counters := bus.NewCounters()
	counters.Counter("capture.frames_read").Add(40)
	counters.Counter("capture.frames_unchanged").Add(30)
	counters.Counter("inference.cancelled").Add(2)
	counters.Counter(bus.InferenceCameraCounter("door", bus.CameraSent)).Add(5)
	counters.Counter(bus.InferenceCameraCounter("door", bus.CameraSuperseded)).Add(2)

	m, err := metrics.New(bustest.Conn(t, srv, "metrics"), metrics.Config{Counters: counters})
	if err != nil {
		t.Fatal(err)
	}
	s, err := metrics.Listen(m, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	errs := make(chan error, 2)
	wg.Go(func() { errs <- m.Run(ctx) })
	wg.Go(func() { errs <- s.Run(ctx) })
	defer func() {
		cancel()
		wg.Wait()
		close(errs)
		for err := range errs {
			if err != nil {
				t.Error(err)
			}
		}
	}()

	t0 := time.Date(2026, 11, 25, 20, 0, 0, 0, time.UTC)
	jpeg := []byte{0xFF, 0xD8, 0xFF, 0xD9}
	for _, reason := range []string{bus.FrameFirst, bus.FrameChanged, bus.FrameChanged} {
		if err := pub.PublishFrame(bus.Frame{ID: bus.NewID(), Camera: "cam0", Seq: 1, CapturedAt: t0, Width: 1, Height: 1, Reason: reason, JPEG: jpeg}); err != nil {
			t.Fatal(err)
		}
	}
	events := []struct {
		subject string
		v       any
	}{
		{bus.DescriptionSubject("cam0"), bus.Description{ID: "p", Camera: "cam0", Partial: true, Backend: "sim", CapturedAt: t0, InferenceStartedAt: t0.Add(100 * time.Millisecond)}},
		{bus.DescriptionSubject("cam0"), bus.Description{ID: "d1", Camera: "cam0", Backend: "sim", CapturedAt: t0,
			InferenceStartedAt: t0.Add(100 * time.Millisecond), FirstTokenAt: t0.Add(300 * time.Millisecond), CompletedAt: t0.Add(1100 * time.Millisecond)}},
		{bus.DescriptionSubject("cam0"), bus.Description{ID: "d2", Camera: "cam0", Backend: "sim", CapturedAt: t0, Error: "cancelled: preempted", Cancelled: "preempted",
			InferenceStartedAt: t0.Add(20 * time.Millisecond), FirstTokenAt: t0.Add(220 * time.Millisecond), CompletedAt: t0.Add(400 * time.Millisecond)}},
		{bus.DescriptionSubject("cam0"), bus.Description{ID: "d3", Camera: "cam0", Backend: "sim", CapturedAt: t0, Error: "model down",
			InferenceStartedAt: t0.Add(20 * time.Millisecond), CompletedAt: t0.Add(30 * time.Millisecond)}},
		{bus.SubjectDecisions, bus.Decision{ID: "x", Action: bus.ActionSuppress, Reason: bus.ReasonDuplicate}},
		{bus.SubjectDecisions, bus.Decision{ID: "y", Action: bus.ActionSpeak}},
		{bus.SubjectSpeech, bus.SpeechEvent{ID: "s1", State: bus.SpeechStarted, CapturedAt: t0, SpokenAt: t0.Add(1400 * time.Millisecond)}},
		{bus.SubjectSpeech, bus.SpeechEvent{ID: "s2", State: bus.SpeechDropped, Reason: "stale"}},
		{bus.SubjectSpeech, bus.SpeechEvent{ID: "s3", State: bus.SpeechInterrupted}},
		{bus.SubjectWorkers, bus.WorkerState{ID: "w", Backend: "mlx", State: bus.WorkerRestarting, Code: "crashed"}},
		{bus.SubjectSpeech, []byte("not json")},
	}
	for _, e := range events {
		if err := pub.PublishEvent(e.subject, e.v); err != nil {
			t.Fatal(err)
		}
	}
	if err := pub.Flush(); err != nil {
		t.Fatal(err)
	}

	want := map[string]float64{
		`narrator_frames_total{camera="cam0",reason="first"}`:                        1,
		`narrator_frames_total{camera="cam0",reason="changed"}`:                      2,
		`narrator_inferences_total{backend="sim",outcome="described"}`:               1,
		`narrator_inferences_total{backend="sim",outcome="cancelled"}`:               1,
		`narrator_inferences_total{backend="sim",outcome="failed"}`:                  1,
		`narrator_latency_seconds_count{stage="capture_to_inference"}`:               3,
		`narrator_latency_seconds_sum{stage="capture_to_inference"}`:                 0.14,
		`narrator_latency_seconds_count{stage="first_token"}`:                        2,
		`narrator_latency_seconds_sum{stage="first_token"}`:                          0.4,
		`narrator_latency_seconds_count{stage="inference"}`:                          1,
		`narrator_latency_seconds_sum{stage="inference"}`:                            1.0,
		`narrator_latency_seconds_bucket{stage="inference",le="0.75"}`:               0,
		`narrator_latency_seconds_bucket{stage="inference",le="1"}`:                  1,
		`narrator_latency_seconds_count{stage="glass_to_ear"}`:                       1,
		`narrator_latency_seconds_sum{stage="glass_to_ear"}`:                         1.4,
		`narrator_utterances_spoken_total`:                                           1,
		`narrator_utterances_interrupted_total`:                                      1,
		`narrator_utterances_suppressed_total{reason="duplicate"}`:                   1,
		`narrator_utterances_dropped_total{reason="stale"}`:                          1,
		`narrator_worker_restarts_total{backend="mlx",code="crashed"}`:               1,
		`narrator_frames_read_total`:                                                 40,
		`narrator_frames_dropped_total{reason="unchanged"}`:                          30,
		`narrator_frames_dropped_total{reason="model_busy"}`:                         0,
		`narrator_counter_total{name="inference.cancelled"}`:                         2,
		`narrator_counter_total{name="capture.frames_read"}`:                         40,
		`narrator_inference_camera_frames_total{camera="door",outcome="sent"}`:       5,
		`narrator_inference_camera_frames_total{camera="door",outcome="superseded"}`: 2,
	}
	url := s.URL()
	var got map[string]float64
	// Events on different subjects reach the metrics' subscriptions in no fixed order: wait until
	// every one has been counted, not only the last one published.
	bustest.Eventually(t, 5*time.Second, "every event counted", func() bool {
		got = scrape(t, url)
		for k, v := range want {
			if g, ok := got[k]; !ok || g-v > 1e-9 || v-g > 1e-9 {
				return false
			}
		}
		return got["narrator_metrics_events_invalid_total"] == 1
	})
	for k, v := range want {
		g, ok := got[k]
		if !ok {
			t.Errorf("%s missing from the scrape", k)
			continue
		}
		if diff := g - v; diff > 1e-9 || diff < -1e-9 {
			t.Errorf("%s = %v, want %v", k, g, v)
		}
	}
	// Counters are read at scrape time, not copied at start.
	counters.Counter("inference.cancelled").Add(1)
	if g := scrape(t, url)[`narrator_counter_total{name="inference.cancelled"}`]; g != 3 {
		t.Errorf("inference.cancelled after one more = %v, want 3", g)
	}
}

// listenAddrCases are ListenAddr's table, also the fuzz seeds.
var listenAddrCases = []struct {
	in, want string
	err      bool
}{
	{in: ":9464", want: "127.0.0.1:9464"},
	{in: "127.0.0.1:0", want: "127.0.0.1:0"},
	{in: "0.0.0.0:9464", want: "0.0.0.0:9464"}, // named, so allowed
	{in: "[::1]:9464", want: "[::1]:9464"},
	{in: "localhost:80", want: "localhost:80"},
	{in: "9464", err: true},
	{in: ":99999", err: true},
	{in: ":http", err: true},
	{in: "", err: true},
}

func TestListenAddr(t *testing.T) {
	for _, tc := range listenAddrCases {
		got, err := metrics.ListenAddr(tc.in)
		if (err != nil) != tc.err || got != tc.want {
			t.Errorf("ListenAddr(%q) = %q, %v; want %q, error %v", tc.in, got, err, tc.want, tc.err)
		}
	}
}

func FuzzListenAddr(f *testing.F) {
	for _, tc := range listenAddrCases {
		f.Add(tc.in)
	}
	f.Fuzz(func(t *testing.T, in string) {
		got, err := metrics.ListenAddr(in)
		if err != nil {
			return
		}
		host, port, err := net.SplitHostPort(got)
		if err != nil || host == "" {
			t.Fatalf("ListenAddr(%q) = %q: not HOST:PORT with a host (%v)", in, got, err)
		}
		if p, err := strconv.Atoi(port); err != nil || p < 0 || p > 65535 {
			t.Fatalf("ListenAddr(%q) = %q: bad port", in, got)
		}
		if again, err := metrics.ListenAddr(got); err != nil || again != got {
			t.Fatalf("ListenAddr(%q) = %q, but ListenAddr(%q) = %q, %v", in, got, got, again, err)
		}
	})
}

// BenchmarkObserveDescription is the subscriber's cost per final description: decoding it and
// updating the counters and histograms.
func BenchmarkObserveDescription(b *testing.B) {
	srv := bustest.Server(b)
	m, err := metrics.New(bustest.Conn(b, srv, "metrics"), metrics.Config{})
	if err != nil {
		b.Fatal(err)
	}
	t0 := time.Now()
	data, err := json.Marshal(bus.Description{ID: "d", Camera: "cam0", Backend: "sim", CapturedAt: t0, InferenceStartedAt: t0.Add(time.Millisecond),
		FirstTokenAt: t0.Add(100 * time.Millisecond), CompletedAt: t0.Add(time.Second), Text: "A red box on the left. A blue box on the right."})
	if err != nil {
		b.Fatal(err)
	}
	msg := bus.Message{Subject: bus.DescriptionSubject("cam0"), Data: data}
	b.ReportAllocs()
	for b.Loop() {
		if err := m.Observe(msg); err != nil {
			b.Fatal(err)
		}
	}
	if got := described(b, m); got < 1 {
		b.Fatalf("%v descriptions counted", got)
	}
}

// described sums narrator_inferences_total.
func described(tb testing.TB, m *metrics.Metrics) float64 {
	mfs, err := m.Registry().Gather()
	if err != nil {
		tb.Fatal(err)
	}
	var n float64
	for _, mf := range mfs {
		if mf.GetName() == "narrator_inferences_total" {
			for _, s := range mf.GetMetric() {
				n += s.GetCounter().GetValue()
			}
		}
	}
	return n
}

func TestListenPortTaken(t *testing.T) {
	srv := bustest.Server(t)
	m, err := metrics.New(bustest.Conn(t, srv, "metrics"), metrics.Config{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := metrics.Listen(m, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	addr := strings.TrimSuffix(strings.TrimPrefix(a.URL(), "http://"), "/metrics")
	if _, err := metrics.Listen(m, addr); err == nil || !strings.Contains(err.Error(), addr) {
		t.Errorf("second listen on %s: %v, want an error naming the address", addr, err)
	}
	cancel()
	if err := <-done; err != nil && !errors.Is(err, context.Canceled) {
		t.Error(err)
	}
}
