package bench

import (
	"context"
	"errors"
	"fmt"
	"image"
	"image/draw"
	"io"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
)

// NaiveTick is the naive loop's sampling interval: 2 Hz.
const NaiveTick = 500 * time.Millisecond

// runNaive runs the naive sequential loop the bench compares against, as simple webcam
// narrators do: a goroutine keeps the newest frame the source delivered; on every tick of a
// fixed 2 Hz ticker the loop takes it, encodes it, waits for the whole description, says all
// of it, and only then looks at the ticker again. No dedup, no streaming, no preemption.
func runNaive(ctx context.Context, cfg Config, src capture.Source, demo groundTruth) (Trace, error) {
	model := newSimModel(cfg.Model, demo)
	speaker := newSimSpeaker(cfg.WordsPerMinute)
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()

	var (
		mu       sync.Mutex
		latest   image.Image
		latestAt time.Time
		read     uint64
		changes  []time.Time // for sources without ground truth: the capture gate's verdicts
		readErr  error
		gate     = capture.Gate{Threshold: cfg.Threshold}
	)
	var wg sync.WaitGroup
	wg.Go(func() { // the reader: keeps the newest frame
		defer cancel()
		for ctx.Err() == nil {
			img, release, err := src.Read()
			if err != nil {
				if !errors.Is(err, io.EOF) && ctx.Err() == nil {
					mu.Lock()
					readErr = err
					mu.Unlock()
				}
				return
			}
			now := time.Now()
			if capture.CheckImage(img) == nil {
				var changed bool
				if demo == nil {
					changed, _, _ = gate.Check(capture.Sign(img), now)
				}
				mu.Lock()
				latest, latestAt = cloneImage(latest, img), now
				read++
				if changed {
					changes = append(changes, now)
				}
				mu.Unlock()
			}
			release()
		}
	})
	wg.Go(func() { // closing the source unblocks a Read waiting for a frame
		<-ctx.Done()
		_ = src.Close()
	})

	var t Trace
	cpu0, _ := usage()
	began := time.Now()
	tick := time.NewTicker(NaiveTick)
	defer tick.Stop()
	var loopErr error
loop:
	for {
		select {
		case <-ctx.Done():
			break loop
		case <-tick.C:
		}
		woke := time.Now()
		mu.Lock()
		if latest == nil {
			mu.Unlock()
			continue
		}
		img, at := cloneImage(nil, latest), latestAt
		mu.Unlock()
		p, err := capture.Prepare(img, cfg.MaxEdge, 80, bus.MaxPayload-4096)
		if err != nil {
			loopErr = fmt.Errorf("bench naive loop: %w", err)
			break
		}
		f := bus.Frame{ID: bus.NewID(), Camera: "cam0", CapturedAt: at, Width: p.Width, Height: p.Height, Reason: "tick", JPEG: p.JPEG}
		callAt := time.Now()
		res, err := model.Describe(ctx, f, nil)
		returned := time.Now()
		if err != nil {
			break // ctx ended
		}
		t.Inferences = append(t.Inferences, Inference{CapturedAt: at, Start: callAt, FirstToken: res.FirstTokenAt})
		speakAt := time.Now()
		t.Overhead = append(t.Overhead, callAt.Sub(woke)+speakAt.Sub(returned))
		t.OverheadIn = append(t.OverheadIn, callAt.Sub(woke))
		t.OverheadOut = append(t.OverheadOut, speakAt.Sub(returned))
		t.Spoken = append(t.Spoken, Spoken{CapturedAt: at, Description: f.ID, At: speakAt})
		if err := speaker.speak(ctx, res.Text); err != nil {
			break // ctx ended
		}
	}
	cancel()
	wg.Wait()
	t.End = time.Now()
	cpu1, rss := usage()
	t.CPU, t.PeakRSS = cpu1-cpu0, rss
	mu.Lock()
	defer mu.Unlock()
	t.FramesRead = read
	if demo != nil {
		t.Scenes = demoScenes(demo, began, t.End)
	} else {
		t.Scenes = changes
	}
	if loopErr == nil && readErr != nil {
		loopErr = fmt.Errorf("bench naive loop: read %s: %w", src.Describe(), readErr)
	}
	return t, loopErr
}

// cloneImage copies src into dst when their shapes match, else into a new image.
func cloneImage(dst, src image.Image) image.Image {
	if s, ok := src.(*image.YCbCr); ok {
		d, ok := dst.(*image.YCbCr)
		if !ok || d.Rect != s.Rect || d.SubsampleRatio != s.SubsampleRatio || len(d.Y) != len(s.Y) || len(d.Cb) != len(s.Cb) {
			d = image.NewYCbCr(s.Rect, s.SubsampleRatio)
		}
		if d.YStride == s.YStride && d.CStride == s.CStride {
			copy(d.Y, s.Y)
			copy(d.Cb, s.Cb)
			copy(d.Cr, s.Cr)
			return d
		}
	}
	d, ok := dst.(*image.RGBA)
	if !ok || d.Rect != src.Bounds() {
		d = image.NewRGBA(src.Bounds())
	}
	draw.Draw(d, d.Rect, src, src.Bounds().Min, draw.Src)
	return d
}
