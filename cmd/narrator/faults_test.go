package main

// The fault suite: the narrator binary run as a user runs it, against faults, with outcomes
// checked from outside (exit codes, events on stdout, logs on stderr, the machine's process
// table). Each test names the defect it guards.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/jpeg"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

const faultSecret = "S3cretPass"

// camera is an IP camera test double: multipart MJPEG (multipart/x-mixed-replace, as
// mjpg-streamer and most IP cameras serve it) behind Basic auth. While down it answers 503.
type camera struct {
	*httptest.Server
	down     atomic.Bool
	requests atomic.Int32
}

func newCamera(t *testing.T) *camera {
	var frame bytes.Buffer
	img := image.NewRGBA(image.Rect(0, 0, 64, 48))
	for i := range img.Pix {
		img.Pix[i] = byte(i * 7)
	}
	if err := jpeg.Encode(&frame, img, nil); err != nil {
		t.Fatal(err)
	}
	c := &camera{}
	c.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.requests.Add(1)
		if u, p, ok := r.BasicAuth(); !ok || u != "cam" || p != faultSecret || r.URL.Query().Get("token") != "T0ken" {
			w.Header().Set("WWW-Authenticate", `Basic realm="camera"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		if c.down.Load() {
			http.Error(w, "camera rebooting", http.StatusServiceUnavailable)
			return
		}
		mw := multipart.NewWriter(w)
		w.Header().Set("Content-Type", "multipart/x-mixed-replace;boundary="+mw.Boundary())
		for r.Context().Err() == nil && !c.down.Load() {
			p, err := mw.CreatePart(textproto.MIMEHeader{"Content-Type": {"image/jpeg"}, "Content-Length": {strconv.Itoa(frame.Len())}})
			if err != nil {
				return
			}
			_, _ = p.Write(frame.Bytes())
			w.(http.Flusher).Flush()
			time.Sleep(50 * time.Millisecond)
		}
	}))
	t.Cleanup(c.Close)
	return c
}

// url is the camera's stream URL with the user's credentials.
func (c *camera) url() string {
	return strings.Replace(c.URL, "http://", "http://cam:"+faultSecret+"@", 1) + "/video.mjpg?token=T0ken"
}

// children returns the command lines of the processes whose parent is pid.
func children(pid int) map[int]string {
	out := map[int]string{}
	stats, _ := filepath.Glob("/proc/[0-9]*/stat")
	for _, st := range stats {
		data, err := os.ReadFile(st)
		if err != nil {
			continue
		}
		// pid (comm) state ppid …; comm may hold spaces, so split after its closing parenthesis.
		rest := string(data[bytes.LastIndexByte(data, ')')+1:])
		f := strings.Fields(rest)
		if len(f) > 1 && f[1] == strconv.Itoa(pid) {
			child, _ := strconv.Atoi(filepath.Base(filepath.Dir(st)))
			cmdline, _ := os.ReadFile(filepath.Join(filepath.Dir(st), "cmdline"))
			out[child] = strings.ReplaceAll(string(cmdline), "\x00", " ")
		}
	}
	return out
}

// sourceEvents returns the source events in --json output.
func sourceEvents(t *testing.T, stdout string) []bus.SourceEvent {
	var out []bus.SourceEvent
	for _, line := range strings.Split(stdout, "\n") {
		var ev struct {
			Subject string          `json:"subject"`
			Data    json.RawMessage `json:"data"`
		}
		if json.Unmarshal([]byte(line), &ev) != nil || !strings.HasPrefix(ev.Subject, "narrator.v1.sources.") {
			continue
		}
		var e bus.SourceEvent
		if err := json.Unmarshal(ev.Data, &e); err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
	}
	return out
}

// TestFaultCameraDownAtStartWithCredentials: a network camera that is down when the narrator
// starts does not stop the run (another camera narrates meanwhile); it is retried and comes
// back; its password and token appear in no event, no log line and no command line of any
// process (ffmpeg's included), and no ffmpeg outlives the narrator after Ctrl-C.
func TestFaultCameraDownAtStartWithCredentials(t *testing.T) {
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Skip("ffmpeg is not installed")
	}
	cam := newCamera(t)
	cam.down.Store(true)
	cmd := exec.Command(binary, "run", "--json", "--backend", "heuristic", "--speech", "none", "--announce", "none",
		"--source", "a=demo", "--source", "door="+cam.url())
	var stdout, stderr lockedBuffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	seen := map[int]string{}
	scan := func() bool {
		for pid, line := range children(cmd.Process.Pid) {
			seen[pid] = line
		}
		return false
	}
	bustest.Eventually(t, time.Minute, "the door camera down at start and retried", func() bool {
		scan()
		return cam.requests.Load() >= 3 && strings.Contains(stdout.String(), `"state":"down"`)
	})
	cam.down.Store(false)
	bustest.Eventually(t, time.Minute, "the door camera back up", func() bool {
		scan()
		for _, e := range sourceEvents(t, stdout.String()) {
			if e.Camera == "door" && e.State == bus.SourceUp {
				return true
			}
		}
		return false
	})
	bustest.Eventually(t, time.Minute, "a frame from the door camera", func() bool {
		scan()
		return strings.Contains(stdout.String(), `"subject":"narrator.v1.frames.door"`)
	})
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("Ctrl-C: %v, want a clean exit\n%s", err, stderr.String())
	}
	if len(seen) == 0 {
		t.Fatal("no ffmpeg child was ever seen: the test proves nothing")
	}
	for pid, line := range seen {
		for _, secret := range []string{faultSecret, "T0ken"} {
			if strings.Contains(line, secret) {
				t.Errorf("child %d's command line shows %q: %s", pid, secret, line)
			}
		}
		if syscall.Kill(pid, 0) == nil {
			t.Errorf("child %d (%s) outlived the narrator", pid, line)
		}
	}
	for name, out := range map[string]string{"events (stdout)": stdout.String(), "logs (stderr)": stderr.String()} {
		for _, secret := range []string{faultSecret, "T0ken"} {
			if strings.Contains(out, secret) {
				t.Errorf("%s show %q", name, secret)
			}
		}
	}
	var downAtStart, up *bus.SourceEvent
	for _, e := range sourceEvents(t, stdout.String()) {
		switch {
		case e.Camera == "door" && e.State == bus.SourceDown && downAtStart == nil:
			downAtStart = &e
		case e.Camera == "door" && e.State == bus.SourceUp:
			up = &e
		}
	}
	if downAtStart == nil || !strings.Contains(downAtStart.Error, "5XX") || !strings.Contains(downAtStart.Source, "cam:xxxxx@") {
		t.Errorf("down event %+v: want ffmpeg's 5XX and the source with its password masked", downAtStart)
	}
	if up == nil || up.Attempt < 1 {
		t.Fatalf("up event %+v: want the attempts it took", up)
	}
	t.Logf("door camera: down at start, up after %d attempts, %.0f ms after the first failure (after the camera came back: within one backoff step)", up.Attempt, up.DownForMS)
	if !strings.Contains(stdout.String(), `"subject":"narrator.v1.frames.a"`) {
		t.Error("camera a sent no frame while the door camera was down")
	}
}

// TestFaultBadInputRefusedBeforeStart: input that once panicked, hung or exhausted memory is
// refused at once with a clear message and exit status 1.
func TestFaultBadInputRefusedBeforeStart(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"--prompt", "/dev/zero"}, "character device"}, // once read 24 GB before checking
		{[]string{"--prompt", fifo}, "FIFO"},                    // once blocked forever
		{[]string{"--prompt", dir}, "directory"},
		{[]string{"--source", "file:" + fifo}, "FIFO"},
		{[]string{"--source", "file:/dev/zero"}, "character device"},
		{[]string{"--fps", "NaN"}, "--fps NaN"}, // once panicked: non-positive interval for NewTicker
		{[]string{"--fps", "Inf"}, "--fps +Inf"},
		{[]string{"--fps", "1e10"}, "--fps 1e+10"},
		{[]string{"--duration", "-5s"}, "--duration -5s"}, // once ran forever
		{[]string{"--similarity", "NaN"}, "--similarity NaN"},
		{[]string{"--volume", "NaN"}, "--volume NaN"},
		{[]string{"--width", "100000"}, "--width 100000"},
		{[]string{"--listen", "0.0.0.0:0", "--user", "u"}, "--user needs --password"}, // once accepted without a word
		{[]string{"--source", strings.Repeat("x", 100_000)}, "(100000 bytes)"},        // once echoed in full
		{[]string{"--backend", strings.Repeat("x", 100_000)}, " bytes)"},
		{[]string{"--mode", strings.Repeat("x", 100_000)}, " bytes)"},
		{[]string{"--announce", strings.Repeat("x", 100_000)}, " bytes)"},
		{[]string{"--log-level", strings.Repeat("x", 100_000)}, " bytes)"},
		{[]string{"--speech", strings.Repeat("x", 100_000)}, " bytes)"},
	}
	for _, c := range cases {
		shown := truncate(fmt.Sprint(c.args), 120)
		args := append([]string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--duration", "30s"}, c.args...)
		cmd := exec.Command(binary, args...)
		var out lockedBuffer
		cmd.Stdout, cmd.Stderr = &out, &out
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		var err error
		select {
		case err = <-done:
		case <-time.After(time.Minute): // a hang detector, not a timing assertion
			_ = cmd.Process.Kill()
			<-done
			t.Errorf("narrator %s hangs", shown)
			continue
		}
		code := -1
		if ee, ok := err.(*exec.ExitError); ok {
			code = ee.ExitCode()
		}
		if code != 1 || !strings.Contains(out.String(), c.want) {
			t.Errorf("narrator %s: exit %d (%v), output %q; want exit 1 saying %q", shown, code, err, truncate(out.String(), 300), c.want)
		}
		if len(out.String()) > 2000 {
			t.Errorf("narrator %s: %d bytes of output for one bad flag", shown, len(out.String()))
		}
	}
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + fmt.Sprintf("… (%d bytes)", len(s))
}
