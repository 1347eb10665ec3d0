package capture

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// clipScene is one stretch of a generated test clip: an ffmpeg lavfi source, held for seconds.
type clipScene struct {
	name    string
	lavfi   string // without size, rate and duration
	seconds float64
}

// testScenes are clearly different, each static but for the noise added to every frame.
var testScenes = []clipScene{
	{"colour bars", "smptebars", 2},
	{"green room, yellow box", "color=c=darkgreen,drawbox=x=iw/3:y=ih/4:w=iw/3:h=ih/2:c=yellow:t=fill", 0.3},
	{"rgb test pattern", "rgbtestsrc", 2},
	{"lights off", "color=c=0x181818", 2},
	{"lights on, green room", "color=c=darkgreen,drawbox=x=iw/3:y=ih/4:w=iw/3:h=ih/2:c=yellow:t=fill", 2},
	{"small red object appears", "color=c=darkgreen,drawbox=x=iw/3:y=ih/4:w=iw/3:h=ih/2:c=yellow:t=fill,drawbox=x=iw*3/4:y=ih/10:w=iw/10:h=ih/6:c=red:t=fill", 2},
}

// needFFmpeg skips the test when ffmpeg is not installed.
func needFFmpeg(t testing.TB) {
	t.Helper()
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed (apt-get install ffmpeg / brew install ffmpeg): skipping the tests that decode clips")
	}
}

// makeClip has ffmpeg render scenes at w×h and fps, with fresh noise on every frame, into an
// MJPEG AVI in a temporary directory, and returns its path.
func makeClip(t testing.TB, scenes []clipScene, w, h int, fps float64) string {
	t.Helper()
	needFFmpeg(t)
	path := filepath.Join(t.TempDir(), "clip.avi")
	args := []string{"-hide_banner", "-loglevel", "error", "-y"}
	var inputs strings.Builder
	for i, s := range scenes {
		src, opts, _ := strings.Cut(s.lavfi, ",")
		sep := "="
		if strings.Contains(src, "=") {
			sep = ":"
		}
		lavfi := fmt.Sprintf("%s%ss=%dx%d:r=%g:d=%g", src, sep, w, h, fps, s.seconds)
		if opts != "" {
			lavfi += "," + opts
		}
		args = append(args, "-f", "lavfi", "-i", lavfi)
		fmt.Fprintf(&inputs, "[%d]", i)
	}
	filter := fmt.Sprintf("%sconcat=n=%d:v=1,noise=alls=10:allf=t,format=yuv420p", inputs.String(), len(scenes))
	args = append(args, "-filter_complex", filter, "-c:v", "mjpeg", "-q:v", "3", path)
	if out, err := exec.Command("ffmpeg", args...).CombinedOutput(); err != nil {
		t.Fatalf("make clip: %v: %s", err, out)
	}
	return path
}

// decodeClip has ffmpeg decode a clip to a YUV4MPEG2 file and opens it for reading.
func decodeClip(t testing.TB, clip string) *y4mReader {
	t.Helper()
	path := filepath.Join(t.TempDir(), "clip.y4m")
	out, err := exec.Command("ffmpeg", "-hide_banner", "-loglevel", "error", "-y", "-i", clip, "-pix_fmt", "yuv420p", "-f", "yuv4mpegpipe", path).CombinedOutput()
	if err != nil {
		t.Fatalf("decode clip: %v: %s", err, out)
	}
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	y, err := newY4MReader(f)
	if err != nil {
		t.Fatal(err)
	}
	return y
}
