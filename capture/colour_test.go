package capture

import (
	"bytes"
	"context"
	"image"
	"image/jpeg"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/pion/mediadevices/pkg/driver"
	"github.com/pion/mediadevices/pkg/frame"
	"github.com/pion/mediadevices/pkg/io/video"
	"github.com/pion/mediadevices/pkg/prop"

	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestRangeTables(t *testing.T) {
	for _, c := range []struct {
		lut     *[256]uint8
		in, out uint8
	}{
		{&lumaFull, 0, 0}, {&lumaFull, 16, 0}, {&lumaFull, 126, 128}, {&lumaFull, 235, 255}, {&lumaFull, 255, 255},
		{&chromaFull, 16, 1}, {&chromaFull, 128, 128}, {&chromaFull, 240, 255}, {&chromaFull, 0, 0},
	} {
		if got := c.lut[c.in]; got != c.out {
			t.Errorf("expand %d = %d, want %d", c.in, got, c.out)
		}
	}
}

// meanRGB decodes a JPEG as the model would and returns its mean red, green and blue.
func meanRGB(t *testing.T, data []byte) (r, g, b float64) {
	t.Helper()
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the frame is not a JPEG: %v", err)
	}
	bounds := img.Bounds()
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			r, g, b = r+float64(cr>>8), g+float64(cg>>8), b+float64(cb>>8)
		}
	}
	n := float64(bounds.Dx() * bounds.Dy())
	return r / n, g / n, b / n
}

// checkBlackThenWhite runs the capture stage on src, which shows black and then white, and
// checks the JPEGs published: the first black (every channel's mean at most 2 of 255), and a
// later one white (at least 253). Limited-range video shows them as 16 and 235 when its range
// is not expanded.
func checkBlackThenWhite(t *testing.T, src Source, afterFirst func()) {
	t.Helper()
	r := startStage(t, Config{Source: src, MaxEdge: 160})
	f := bustest.Next(t, r.frames, 15*time.Second)
	afterFirst()
	if cr, cg, cb := meanRGB(t, f.JPEG); max(cr, cg, cb) > 2 {
		t.Errorf("%s: black arrived as rgb(%.0f, %.0f, %.0f)", src.Describe(), cr, cg, cb)
	}
	for i := 0; ; i++ {
		f = bustest.Next(t, r.frames, 15*time.Second)
		cr, cg, cb := meanRGB(t, f.JPEG)
		if min(cr, cg, cb) >= 253 {
			break
		}
		if i == 5 || max(cr, cg, cb) > 100 {
			t.Fatalf("%s: white arrived as rgb(%.0f, %.0f, %.0f)", src.Describe(), cr, cg, cb)
		}
	}
	r.cancel()
	if err := r.wait(t, 5*time.Second); err != nil {
		t.Logf("%s: the stage ended with %v", src.Describe(), err)
	}
}

// blackWhiteClip has ffmpeg render one second of black, then two of white, as limited-range
// 4:2:0 video (ffmpeg's default for YUV, untagged), lossless, in a Matroska file.
func blackWhiteClip(t *testing.T) string { return blackThenWhite(t, 1) }

// blackThenWhite is blackWhiteClip with black seconds of black.
func blackThenWhite(t *testing.T, black int) string {
	t.Helper()
	needFFmpeg(t)
	path := filepath.Join(t.TempDir(), "bw.mkv")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y",
		"-f", "lavfi", "-i", "color=c=black:s=160x90:r=10:d="+strconv.Itoa(black), "-f", "lavfi", "-i", "color=c=white:s=160x90:r=10:d=2",
		"-filter_complex", "[0][1]concat=n=2:v=1,format=yuv420p", "-c:v", "ffv1", path).CombinedOutput()
	if err != nil {
		t.Fatalf("make clip: %v: %s", err, out)
	}
	return path
}

func TestFileColoursSurvive(t *testing.T) {
	clip := blackWhiteClip(t)
	src, _, err := Open(context.Background(), "file:"+clip, SourceConfig{Width: 160, Height: 90, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	checkBlackThenWhite(t, src, func() {})
}

func TestStreamColoursSurvive(t *testing.T) {
	// Five seconds of black, sent at once; the white only once the first frame has arrived. A
	// live stream's frames that arrive together are one burst, and the newest scene in it wins:
	// paced evenly, ffmpeg (started late on a busy machine, or still probing the stream) once
	// handed over black and white together, and only the white was sent.
	clip := blackThenWhite(t, 5)
	data, err := os.ReadFile(clip)
	if err != nil {
		t.Fatal(err)
	}
	whiteAt := firstPacketAt(t, clip, 5)
	first := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "video/x-matroska")
		if _, err := w.Write(data[:whiteAt]); err != nil {
			return
		}
		w.(http.Flusher).Flush()
		select { // within ffmpeg's 5 s read timeout (rw_timeout)
		case <-first:
		case <-time.After(3 * time.Second):
		case <-r.Context().Done():
			return
		}
		const chunks = 20
		rest := data[whiteAt:]
		for i := 0; i < chunks && r.Context().Err() == nil; i++ {
			if _, err := w.Write(rest[i*len(rest)/chunks : (i+1)*len(rest)/chunks]); err != nil {
				return
			}
			w.(http.Flusher).Flush()
			time.Sleep(100 * time.Millisecond)
		}
	}))
	defer srv.Close()
	src, _, err := Open(context.Background(), srv.URL+"/bw.mkv", SourceConfig{Width: 160, Height: 90, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	checkBlackThenWhite(t, src, func() { once.Do(func() { close(first) }) })
}

// firstPacketAt is the byte offset in clip of the first video packet at or after second s
// (ffprobe's packet positions).
func firstPacketAt(t *testing.T, clip string, s float64) int {
	t.Helper()
	out, err := exec.Command("ffprobe", "-v", "error", "-select_streams", "v:0", "-show_entries", "packet=pts_time,pos", "-of", "csv=p=0", clip).Output()
	if err != nil {
		t.Fatalf("ffprobe %s: %v", clip, err)
	}
	for _, l := range strings.Split(strings.TrimSpace(string(out)), "\n") {
		pts, pos, ok := strings.Cut(l, ",")
		at, err1 := strconv.ParseFloat(pts, 64)
		p, err2 := strconv.Atoi(pos)
		if ok && err1 == nil && err2 == nil && at >= s {
			return p
		}
	}
	t.Fatalf("no packet at or after %gs in %s:\n%s", s, clip, out)
	return 0
}

// yuyvCamera is a test double of a V4L2 camera as pion/mediadevices drives it: its VideoRecord
// decodes raw frames of the negotiated format with frame.NewDecoder, as camera_linux.go's
// (*camera).VideoRecord does (github.com/pion/mediadevices, pkg/driver/camera/camera_linux.go),
// and its frames are YUYV in limited range, as UVC webcams send them (V4L2's default
// quantization for Y'CbCr): one second of black (luma 16), then white (luma 235).
type yuyvCamera struct {
	mu     sync.Mutex
	closed chan struct{}
}

func (c *yuyvCamera) Open() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.closed = make(chan struct{})
	return nil
}

func (c *yuyvCamera) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	close(c.closed)
	return nil
}

func (c *yuyvCamera) Properties() []prop.Media {
	return []prop.Media{{Video: prop.Video{Width: 160, Height: 90, FrameRate: 20, FrameFormat: frame.FormatYUYV}}}
}

func (c *yuyvCamera) VideoRecord(p prop.Media) (video.Reader, error) {
	decoder, err := frame.NewDecoder(p.FrameFormat)
	if err != nil {
		return nil, err
	}
	c.mu.Lock()
	closed := c.closed
	c.mu.Unlock()
	start, tick := time.Now(), time.NewTicker(50*time.Millisecond)
	raw := make([]byte, p.Width*p.Height*2)
	return video.ReaderFunc(func() (image.Image, func(), error) {
		select {
		case <-closed:
			tick.Stop()
			return nil, func() {}, context.Canceled
		case <-tick.C:
		}
		luma := byte(16)
		if time.Since(start) > time.Second {
			luma = 235
		}
		for i := 0; i < len(raw); i += 4 {
			raw[i], raw[i+1], raw[i+2], raw[i+3] = luma, 128, luma, 128 // Y0 Cb Y1 Cr
		}
		return decoder.Decode(raw, p.Width, p.Height)
	}), nil
}

func TestCameraColoursSurvive(t *testing.T) {
	const label = "narrator colour test camera"
	if err := driver.GetManager().Register(&yuyvCamera{}, driver.Info{Label: label, DeviceType: driver.Camera}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		for _, d := range driver.GetManager().Query(func(d driver.Driver) bool { return d.Info().Label == label }) {
			driver.GetManager().Delete(d.ID())
		}
	})
	src, _, err := Open(context.Background(), "camera:"+label, SourceConfig{Width: 160, Height: 90, FPS: 20})
	if err != nil {
		t.Fatal(err)
	}
	if !limitedRange(src) {
		t.Errorf("%s: a YUYV camera is not taken as limited range", src.Describe())
	}
	checkBlackThenWhite(t, src, func() {})
}

func TestY4MColourRange(t *testing.T) {
	for header, limited := range map[string]bool{
		"YUV4MPEG2 W2 H2 C420jpeg XYSCSS=420JPEG XCOLORRANGE=FULL\n": false,
		"YUV4MPEG2 W2 H2 C420jpeg XCOLORRANGE=LIMITED\n":             true,
		"YUV4MPEG2 W2 H2 C420jpeg\n":                                 false, // what the ffmpeg sources ask for
	} {
		y, err := newY4MReader(bytes.NewReader([]byte(header)))
		if err != nil {
			t.Fatal(err)
		}
		if y.limited != limited {
			t.Errorf("%q: limited %v, want %v", header, y.limited, limited)
		}
	}
}

func TestExpandRangeInPrepare(t *testing.T) {
	img := image.NewYCbCr(image.Rect(0, 0, 64, 48), image.YCbCrSubsampleRatio420)
	for i := range img.Y {
		img.Y[i] = 16
	}
	for i := range img.Cb {
		img.Cb[i], img.Cr[i] = 128, 128
	}
	var p preparer
	defer p.enc.close()
	for _, maxEdge := range []int{0, 32} { // as it is, and scaled
		src := copyImage(nil, img)
		out, err := p.prepareOwned(src, true, maxEdge, 90, 0)
		if err != nil {
			t.Fatal(err)
		}
		if r, g, b := meanRGB(t, out.JPEG); max(r, g, b) > 2 {
			t.Errorf("max edge %d: limited-range black encoded as rgb(%.0f, %.0f, %.0f)", maxEdge, r, g, b)
		}
	}
	out, err := Prepare(img, 0, 90, 0)
	if err != nil {
		t.Fatal(err)
	}
	if r, _, _ := meanRGB(t, out.JPEG); r < 14 || img.Y[0] != 16 {
		t.Errorf("Prepare, which does not own its image, changed it or its range (red %.0f, luma %d)", r, img.Y[0])
	}
}
