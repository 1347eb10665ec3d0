//go:build unix

package capture

import (
	"context"
	"log/slog"
	"runtime"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// BenchmarkStageFile720p30 is the whole per-frame path as `narrator run --source file:… --fps 30`
// runs it: ffmpeg (a real subprocess, at the clip's pace) decodes a 1280×720, 30 fps clip of
// static noisy scenes with cuts, scales it to the published size (--max-edge 1024: 1024×576)
// and writes it into the YUV4MPEG2 pipe (framePipe); the capture stage reads each frame,
// checks, signs and gates it, keeps the changes and encodes and publishes one every 500 ms on a
// real embedded bus. One op is one frame read. The figures that matter are the custom metrics:
// cpu-ms/frame, this process's CPU (user+system: the pipe's copy into Go, the stage, the bus;
// not ffmpeg's) per frame, and allocs/frame. ns/op is the clip's pace (33 ms), not a cost.
//
//	go test -run '^$' -bench StageFile720p30 -benchtime 300x ./capture/
func BenchmarkStageFile720p30(b *testing.B) {
	clip := makeClip(b, testScenes, 1280, 720, 30)
	srv := bustest.Server(b)
	pub, sub := bustest.Conn(b, srv, "capture"), bustest.Conn(b, srv, "test")
	if _, err := bus.SubscribeFrames(sub, bus.AllFrames, bus.QueueConfig{Name: "frames", Size: 100, Policy: bus.DropOldest}); err != nil {
		b.Fatal(err)
	}
	counters := bus.NewCounters()
	s, err := New(pub, Config{
		Reopen: func(ctx context.Context) (Source, error) {
			src, _, err := Open(ctx, "file:"+clip, SourceConfig{FPS: 30, Loop: true, MaxEdge: DefaultMaxEdge})
			return src, err
		},
		MinInterval: 500 * time.Millisecond, Heartbeat: 10 * time.Second, MaxAge: 2 * time.Second, MaxInterval: Off,
		Counters: counters, Logger: slog.New(slog.DiscardHandler),
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	defer func() {
		cancel()
		<-done
	}()
	read := counters.Counter(bus.CounterCaptureFramesRead)
	waitFrames := func(n uint64) {
		for read.Load() < n {
			time.Sleep(100 * time.Millisecond) // not more often: this goroutine's wake-ups count in the CPU measured
		}
	}
	waitFrames(30) // ffmpeg started, the first frames sent
	n0, cpu0, allocs0 := read.Load(), processCPU(b), allocs()
	b.ResetTimer()
	waitFrames(n0 + uint64(b.N))
	b.StopTimer()
	frames := float64(read.Load() - n0)
	b.ReportMetric((processCPU(b)-cpu0).Seconds()*1000/frames, "cpu-ms/frame")
	b.ReportMetric(float64(allocs()-allocs0)/frames, "allocs/frame")
	b.ReportMetric(float64(counters.Counter(bus.CounterCaptureFramesSent).Load()), "frames-sent")
}

// processCPU is this process's user+system CPU time so far.
func processCPU(b *testing.B) time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		b.Fatal(err)
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// allocs is the number of heap allocations this process has made so far.
func allocs() uint64 {
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.Mallocs
}
