package capture

import (
	"fmt"
	"image"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	_ "github.com/pion/mediadevices/pkg/driver/videotest" // the test-pattern "camera"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"
)

// testPatternLabel is the label pion/mediadevices gives its test-pattern driver.
const testPatternLabel = "VideoTest"

// Camera is a camera pion/mediadevices found.
type Camera struct {
	Index int      `json:"index"` // position in the list, for camera:INDEX
	Label string   `json:"name"`  // the driver's label, for camera:NAME
	ID    string   `json:"id"`    // the driver's id
	Sizes []string `json:"sizes"` // the modes it offers, e.g. "1280x720@30 MJPEG"
}

// Cameras lists the cameras available to this build (none without cgo).
func Cameras() []Camera {
	out := []Camera{}
	for _, d := range cameraDrivers() {
		c := Camera{Index: len(out), Label: d.Info().Label, ID: d.ID()}
		for _, p := range d.Properties() {
			c.Sizes = append(c.Sizes, fmt.Sprintf("%dx%d@%g %s", p.Width, p.Height, p.FrameRate, p.FrameFormat))
		}
		out = append(out, c)
	}
	return out
}

// CameraHelp says why no camera may be found, or what to check when one does not open.
func CameraHelp() string { return noCameraHint }

func cameraDrivers() []driver.Driver {
	var out []driver.Driver
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		if d.Info().Label != testPatternLabel && d.Info().DeviceType == driver.Camera {
			out = append(out, d)
		}
	}
	return out
}

func cameraList() string {
	cams := Cameras()
	if len(cams) == 0 {
		return "none"
	}
	names := make([]string, len(cams))
	for i, c := range cams {
		names[i] = fmt.Sprintf("%d %q", c.Index, c.Label)
	}
	return strings.Join(names, ", ")
}

// openCamera opens the camera named by arg: "" for the first, an index, or a label substring.
func openCamera(arg string, cfg SourceConfig) (Source, error) {
	drivers := cameraDrivers()
	if len(drivers) == 0 {
		return nil, fmt.Errorf("%w (%s)", ErrNoCamera, noCameraHint)
	}
	pick := drivers[0]
	if arg != "" {
		pick = nil
		if i, err := strconv.Atoi(arg); err == nil && i >= 0 && i < len(drivers) {
			pick = drivers[i]
		}
		for _, d := range drivers {
			if pick == nil && strings.Contains(strings.ToLower(d.Info().Label), strings.ToLower(arg)) {
				pick = d
			}
		}
		if pick == nil {
			return nil, fmt.Errorf("camera %q not found; cameras found: %s", arg, cameraList())
		}
	}
	return openDriver(pick, "camera "+pick.Info().Label, cfg)
}

func openTestPattern(cfg SourceConfig) (Source, error) {
	for _, d := range driver.GetManager().Query(driver.FilterVideoRecorder()) {
		if d.Info().Label == testPatternLabel {
			return openDriver(d, "test pattern (pion/mediadevices videotest)", cfg)
		}
	}
	return nil, fmt.Errorf("the pion/mediadevices test-pattern driver is not registered")
}

// driverSource reads frames from a pion/mediadevices driver. Each driver Read runs in a
// goroutine of its own so that Close can always end a blocked Read: a driver's Read may never
// return once the driver is closed (the test pattern's does not), or while a camera hangs.
type driverSource struct {
	d            driver.Driver
	r            video.Reader
	desc         string
	results      chan driverRead // the read in flight delivers here; capacity 1, so it never blocks
	pending      bool            // a read is in flight (touched only by the goroutine calling Read)
	stall        *time.Timer     // fires when the read in flight takes longer than stallTimeout
	stallTimeout time.Duration
	limited      bool          // the frames are limited-range YCbCr
	done         chan struct{} // closed by Close
	once         sync.Once
	err          error

	mu      sync.Mutex
	closed  bool
	reading chan struct{} // closed when the read in flight returns
}

// driverRead is the result of one driver Read.
type driverRead struct {
	img     image.Image
	release func()
	err     error
}

func openDriver(d driver.Driver, desc string, cfg SourceConfig) (*driverSource, error) {
	if d.Status() != driver.StateOpened {
		if err := d.Open(); err != nil {
			return nil, fmt.Errorf("open %s: %w (%s)", desc, err, cameraHelp)
		}
	}
	p := bestProperty(d.Properties(), cfg)
	r, err := d.(driver.VideoRecorder).VideoRecord(p)
	if err != nil {
		_ = d.Close()
		return nil, fmt.Errorf("start %s at %dx%d: %w (%s)", desc, p.Width, p.Height, err, cameraHelp)
	}
	return &driverSource{d: d, r: r, desc: fmt.Sprintf("%s at %dx%d", desc, p.Width, p.Height),
		results: make(chan driverRead, 1), done: make(chan struct{}), stallTimeout: cfg.StallTimeout,
		limited: p.FrameFormat != frame.FormatMJPEG && p.FrameFormat != frame.FormatRGBA}, nil
}

// bestProperty picks the advertised mode closest to the requested size, preferring the
// requested frame rate; a driver that advertises nothing is asked for the request itself.
func bestProperty(props []prop.Media, cfg SourceConfig) prop.Media {
	want := prop.Media{Video: prop.Video{Width: cfg.Width, Height: cfg.Height, FrameRate: float32(cfg.FPS)}}
	best, bestScore := want, math.Inf(1)
	for _, p := range props {
		score := math.Abs(float64(p.Width*p.Height-cfg.Width*cfg.Height)) + 1000*math.Abs(float64(p.FrameRate)-cfg.FPS)
		if score < bestScore {
			best, bestScore = p, score
		}
	}
	if best.FrameRate <= 0 {
		best.FrameRate = float32(cfg.FPS)
	}
	return best
}

// Read returns the driver's next frame; after Close it returns io.EOF.
func (s *driverSource) Read() (image.Image, func(), error) {
	if !s.pending {
		s.mu.Lock()
		if s.closed {
			s.mu.Unlock()
			return nil, func() {}, io.EOF
		}
		reading := make(chan struct{})
		s.reading, s.pending = reading, true
		s.mu.Unlock()
		go func() {
			defer close(reading)
			img, release, err := s.r.Read()
			s.results <- driverRead{img, release, err}
		}()
	}
	if s.stall == nil {
		s.stall = time.NewTimer(s.stallTimeout)
	} else {
		s.stall.Reset(s.stallTimeout)
	}
	select {
	case <-s.done:
		return nil, func() {}, io.EOF
	case <-s.stall.C:
		return nil, func() {}, fmt.Errorf("%s: no frame for %s (%s)", s.desc, s.stallTimeout, cameraHelp)
	case r := <-s.results:
		s.pending = false
		if r.release == nil {
			r.release = func() {}
		}
		if r.err != nil {
			return nil, func() {}, r.err
		}
		return r.img, r.release, nil
	}
}

// closeWait is how long Close waits for a read in flight before closing the driver under it.
const closeWait = time.Second

// Close ends a blocked Read, lets a read in flight finish (up to closeWait, so a driver that
// stops its clock on close is not closed under its own Read), then closes the driver, once.
func (s *driverSource) Close() error {
	s.once.Do(func() {
		close(s.done)
		s.mu.Lock()
		s.closed = true
		reading := s.reading
		s.mu.Unlock()
		if reading != nil {
			t := time.NewTimer(closeWait)
			select {
			case <-reading:
			case <-t.C:
			}
			t.Stop()
		}
		select {
		case r := <-s.results: // a frame nobody will read
			if r.release != nil {
				r.release()
			}
		default:
		}
		s.err = s.d.Close()
	})
	return s.err
}

func (s *driverSource) Describe() string { return s.desc }

// LimitedRange reports whether the driver delivers raw YCbCr (YUYV, NV12, I420…), which
// cameras send in limited range (the V4L2 default for Y'CbCr, CoreVideo's "video range"),
// rather than MJPEG, which is full range.
func (s *driverSource) LimitedRange() bool { return s.limited }
