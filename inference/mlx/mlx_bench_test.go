//go:build unix

package mlx

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// BenchmarkMLXProtocol measures what the worker protocol itself costs per request with a
// 200 KB JPEG: encoding the request (base64 data URI), the pipe, the worker's JSON parsing and
// base64 decoding, its events and their parsing, and the goroutine hand-offs. The model's work
// is left out: the stand-in answers with one piece at once. Reported per op:
//   - ns/op: the whole Describe round trip with the stand-in;
//   - overhead-ms/op: that round trip minus the time the worker spent inside the generation
//     call (its total_s), i.e. the protocol's own cost in the two processes.
func BenchmarkMLXProtocol(b *testing.B) {
	var jpeg []byte
	for w := 320; len(jpeg) < 200<<10; w += 8 { // grow a noise image until its JPEG reaches 200 KB
		jpeg = testJPEG(b, w, w*3/4, true, 90)
	}
	f := bus.Frame{ID: "bench", Camera: "cam0", Seq: 1, CapturedAt: time.Now(), Width: 1024, Height: 768, JPEG: jpeg}
	dir := b.TempDir()
	m, err := New(Config{
		Model: "bench", ModelPath: writeModelDir(b, dir), DataDir: dir, Python: python3(b),
		Env:    []string{"PYTHONPATH=" + standinPath(b), "FAKE_MLX_VLM_TEXT=Ok."},
		Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx, nil) }()
	defer func() {
		cancel()
		<-done
	}()
	for m.State() != bus.WorkerReady {
		time.Sleep(5 * time.Millisecond)
	}
	if _, err := m.Describe(ctx, f, nil); err != nil { // first request outside the timing
		b.Fatal(err)
	}
	b.SetBytes(int64(len(jpeg)))
	b.ReportAllocs()
	b.ResetTimer()
	overhead := 0.0
	for b.Loop() {
		res, err := m.Describe(ctx, f, nil)
		if err != nil {
			b.Fatal(err)
		}
		overhead += res.Metadata["overhead_ms"].(float64)
	}
	b.ReportMetric(overhead/float64(b.N), "overhead-ms/op")
	b.ReportMetric(float64(len(jpeg))/1024, "jpeg-KB")
}
