package capture

import (
	"bufio"
	"context"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

const (
	testUser   = "cam"
	testSecret = "S3cretPass"
)

// processesShowing returns the command lines of this machine's processes that contain s: what
// any user can read with ps.
func processesShowing(t testing.TB, s string) []string {
	t.Helper()
	paths, _ := filepath.Glob("/proc/[0-9]*/cmdline")
	var out []string
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err == nil && strings.Contains(string(data), s) {
			out = append(out, p+": "+strings.ReplaceAll(string(data), "\x00", " "))
		}
	}
	return out
}

// basicAuthMJPEG serves the MJPEG stream of newMJPEGServer to requests with the test user's
// password only, and 401 to the rest.
func basicAuthMJPEG(t *testing.T) *mjpegServer {
	srv := newMJPEGServer(t)
	inner := srv.Config.Handler
	srv.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != testUser || p != testSecret {
			w.Header().Set("WWW-Authenticate", `Basic realm="camera"`)
			http.Error(w, "401 Unauthorized", http.StatusUnauthorized)
			return
		}
		inner.ServeHTTP(w, r)
	})
	return srv
}

func TestStreamPasswordNeverOnCommandLine(t *testing.T) {
	needFFmpeg(t)
	srv := basicAuthMJPEG(t)
	url := strings.Replace(srv.URL, "http://", "http://"+testUser+":"+testSecret+"@", 1) + "/video.mjpg?token=T0kenValue"
	src, _, err := Open(context.Background(), url, SourceConfig{Width: 160, Height: 90, FPS: 10})
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	if _, _, err := src.Read(); err != nil {
		t.Fatalf("the password did not reach the camera: %v", err)
	}
	for _, secret := range []string{testSecret, "T0kenValue"} {
		if ps := processesShowing(t, secret); len(ps) > 0 {
			t.Errorf("%q is on a command line: %q", secret, ps)
		}
		if strings.Contains(src.Describe(), secret) {
			t.Errorf("Describe() = %q shows %q", src.Describe(), secret)
		}
	}
	if script := src.(*ffmpegSource).script; script == "" {
		t.Error("no script file: the stream URL went to ffmpeg some other way")
	} else if _, err := os.Stat(script); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("the file holding the URL, %s, is still there after ffmpeg read it (%v)", script, err)
	}
}

// TestStreamScriptIsPrivate checks the file ffmpeg reads the URL from: only its owner can read
// it, and a quote in the URL cannot end the file name early.
func TestStreamScriptIsPrivate(t *testing.T) {
	text, err := streamScript("http://u:it's@h/x")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, `file 'http://u:it'\''s@h/x'`) {
		t.Errorf("script %q: the quote is not escaped", text)
	}
	if _, err := streamScript("http://h/x\noption foo bar"); err == nil {
		t.Error("a URL with a line break was written into the script")
	}
	path, err := writeSecretFile("narrator-test-*", text)
	if err != nil {
		t.Fatal(err)
	}
	defer os.Remove(path)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("script mode %v, want 0600", fi.Mode().Perm())
	}
}

func TestWrongPasswordNotInEvents(t *testing.T) {
	needFFmpeg(t)
	srv := basicAuthMJPEG(t)
	const wrong = "Wr0ngPassw0rd"
	url := strings.Replace(srv.URL, "http://", "http://"+testUser+":"+wrong+"@", 1) + "/video.mjpg"
	_, _, err := Open(context.Background(), url, SourceConfig{Width: 160, Height: 90, FPS: 10})
	if err == nil {
		t.Fatal("a wrong password opened the stream")
	}
	if strings.Contains(err.Error(), wrong) || !strings.Contains(err.Error(), "401") {
		t.Errorf("error %q: want ffmpeg's 401 without the password", err)
	}
	// A stream that goes down later: its down event and the stage's logs hide the password.
	good := strings.Replace(srv.URL, "http://", "http://"+testUser+":"+testSecret+"@", 1) + "/video.mjpg"
	cfg := SourceConfig{Width: 160, Height: 90, FPS: 10}
	src, _, err := Open(context.Background(), good, cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := startStage(t, Config{Source: src, Reopen: Reopener(good, cfg), Backoff: 50 * time.Millisecond, MaxBackoff: 100 * time.Millisecond})
	if e := bustest.Next(t, r.sources, 5*time.Second); e.State != bus.SourceUp || strings.Contains(e.Source, testSecret) {
		t.Fatalf("first event %+v, want up without the password", e)
	}
	srv.broken.Store(true)
	e := bustest.Next(t, r.sources, 10*time.Second)
	if e.State != bus.SourceDown || strings.Contains(e.Error+e.Source, testSecret) || !strings.Contains(e.Source, testUser+":xxxxx@") {
		t.Errorf("event %+v: want down, with the password masked", e)
	}
	r.cancel()
	r.wait(t, 5*time.Second)
	srv.Close()
}

// TestRTSPCredentialsReachCamera checks that ffmpeg, reading an rtsp:// URL from the script,
// answers the camera's Basic challenge with the URL's user and password, while no command line
// shows the password. The camera is a test double of an RTSP server (RFC 2326 §10, §11): it
// answers every request with 401 and a Basic challenge until the request carries the right
// Authorization header, which FFmpeg's client sends on its retry (FFmpeg libavformat/rtsp.c,
// ff_rtsp_send_cmd_with_content: "if (reply->status_code == 401 && … attempts < 2) goto retry").
func TestRTSPCredentialsReachCamera(t *testing.T) {
	needFFmpeg(t)
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	want := "Basic " + base64.StdEncoding.EncodeToString([]byte(testUser+":"+testSecret))
	var authorized atomic.Bool
	var leaked atomic.Value
	go func() {
		for {
			conn, err := l.Accept()
			if err != nil {
				return
			}
			go rtspCamera(conn, want, func() {
				authorized.Store(true)
				if ps := processesShowing(t, testSecret); len(ps) > 0 {
					leaked.Store(ps)
				}
			})
		}
	}()
	url := "rtsp://" + testUser + ":" + testSecret + "@" + l.Addr().String() + "/stream1"
	_, _, err = Open(context.Background(), url, SourceConfig{Width: 160, Height: 90, FPS: 10, StallTimeout: 5 * time.Second})
	if err == nil {
		t.Fatal("opened a camera that has no stream")
	}
	if !authorized.Load() {
		t.Errorf("the camera never saw the user's credentials (error: %v)", err)
	}
	if ps := leaked.Load(); ps != nil {
		t.Errorf("the password was on a command line while ffmpeg talked to the camera: %q", ps)
	}
	if strings.Contains(err.Error(), testSecret) {
		t.Errorf("error %q shows the password", err)
	}
}

// rtspCamera answers RTSP requests on conn: 401 with a Basic challenge without the right
// Authorization, else 404 (no stream here), calling authorized on the first authorized request.
func rtspCamera(conn net.Conn, want string, authorized func()) {
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(conn)
	for {
		var cseq, auth string
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			line = strings.TrimSpace(line)
			if line == "" {
				break
			}
			k, v, _ := strings.Cut(line, ":")
			switch strings.ToLower(k) {
			case "cseq":
				cseq = strings.TrimSpace(v)
			case "authorization":
				auth = strings.TrimSpace(v)
			}
		}
		reply := "RTSP/1.0 401 Unauthorized\r\nCSeq: " + cseq + "\r\nWWW-Authenticate: Basic realm=\"camera\"\r\n\r\n"
		if auth == want {
			authorized()
			reply = "RTSP/1.0 404 Not Found\r\nCSeq: " + cseq + "\r\n\r\n"
		}
		if _, err := conn.Write([]byte(reply)); err != nil {
			return
		}
	}
}
