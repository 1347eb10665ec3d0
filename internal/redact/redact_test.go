package redact

import (
	"errors"
	"io"
	"net/url"
	"strconv"
	"strings"
	"testing"
)

var urlCases = []struct{ in, want string }{
	{"rtsp://admin:S3cretPass@10.0.0.5:554/stream1", "rtsp://admin:xxxxx@10.0.0.5:554/stream1"},
	{"http://user:p%40ss@cam.local/video.mjpg?x=1", "http://user:xxxxx@cam.local/video.mjpg?x=1"},
	{"https://ghp_TOKEN123@host/a", "https://xxxxx@host/a"},
	{"https://host/live.m3u8?token=abc&res=720", "https://host/live.m3u8?token=xxxxx&res=720"},
	{"https://host/x?X-Amz-Signature=deadbeef&X-Amz-Credential=AKIA%2F1&a=b#frag", "https://host/x?X-Amz-Signature=xxxxx&X-Amz-Credential=xxxxx&a=b#frag"},
	{"http://h/p?api_key=1&apikey=2&password=3&secret=4&auth=5&sessionid=6", "http://h/p?api_key=xxxxx&apikey=xxxxx&password=xxxxx&secret=xxxxx&auth=xxxxx&sessionid=xxxxx"},
	{"http://u:p@host?pass=1", "http://u:xxxxx@host?pass=xxxxx"},
	{"http://host/path", "http://host/path"},
	{"http://host", "http://host"},
	{"nats://a:b@h:4222,nats://c:d@h2:4222", "nats://a:xxxxx@h:4222,nats://c:xxxxx@h2:4222"},
	{"not a url", "not a url"},
	{"file:/tmp/a@b", "file:/tmp/a@b"},
	{"http://host/a@b/c", "http://host/a@b/c"}, // an '@' in the path is not userinfo
	{"rtsp://u:p:q@host/", "rtsp://u:xxxxx@host/"},
	{"http://@host/", "http://xxxxx@host/"},
	{"http://h/?token", "http://h/?token"}, // no value to hide
}

func TestURL(t *testing.T) {
	for _, c := range urlCases {
		if got := URL(c.in); got != c.want {
			t.Errorf("URL(%q) = %q, want %q", c.in, got, c.want)
		}
	}
}

// TestURLLong: a long list of server URLs (a 100 KB --nats once went to the log whole) is shown
// masked, cut to MaxURL bytes and its length.
func TestURLLong(t *testing.T) {
	list := strings.Repeat("nats://u:pw@host:4222,", 5000) + "nats://u:pw@last:4222"
	got := URL(list)
	if len(got) > MaxURL+len("… (000000 bytes)") || !strings.HasSuffix(got, "… ("+strconv.Itoa(len(list))+" bytes)") {
		t.Errorf("URL of a %d-byte list is %d bytes long: %q", len(list), len(got), got)
	}
	if strings.Contains(got, "pw") || !strings.HasPrefix(got, "nats://u:xxxxx@host:4222,nats://u:xxxxx@host:4222,") {
		t.Errorf("URL of a long list: %q, want every URL masked", got)
	}
}

func TestText(t *testing.T) {
	in := "[concat @ 0x55e2] Impossible to open 'http://user:WRONG@127.0.0.1:18080/clip.mp4?token=abc'\n" +
		"rtsp://admin:hunter22@cam/ 401; nats://a:b@h:4222,nats://c:dd@h2:4222 and the password hunter22 decoded"
	got := Text(in, "hunter22", "", "ab")
	for _, secret := range []string{"WRONG", "abc", "hunter22", ":dd@"} {
		if strings.Contains(got, secret) {
			t.Errorf("Text left %q in %q", secret, got)
		}
	}
	if got := Text("stream http://h/v?token=abc: no frame (see rtsp://u:p@h/)."); got != "stream http://h/v?token=xxxxx: no frame (see rtsp://u:xxxxx@h/)." {
		t.Errorf("Text ate the punctuation after a URL: %q", got)
	}
	if !strings.Contains(got, "http://user:xxxxx@127.0.0.1:18080/clip.mp4?token=xxxxx'") {
		t.Errorf("Text(%q) = %q: the URL is not redacted in place", in, got)
	}
}

func TestSecrets(t *testing.T) {
	got := Secrets("http://user:p%40ss@h/x?token=a+b&res=1")
	for _, want := range []string{"p@ss", "p%40ss", "a b", "a+b"} {
		if !contains(got, want) {
			t.Errorf("Secrets = %q, want it to hold %q", got, want)
		}
	}
	if contains(got, "user") || contains(got, "1") {
		t.Errorf("Secrets = %q: the user name and ordinary parameters are not secrets", got)
	}
	if got := Secrets("https://TOKEN@h/"); !contains(got, "TOKEN") {
		t.Errorf("Secrets = %q, want the lone user name (a token)", got)
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func TestError(t *testing.T) {
	base := io.ErrUnexpectedEOF
	err := Error(errors.Join(errors.New("open rtsp://u:topsecret@h/"), base), "topsecret")
	if strings.Contains(err.Error(), "topsecret") {
		t.Errorf("Error kept the secret: %v", err)
	}
	if !errors.Is(err, base) {
		t.Error("Error broke the chain: errors.Is fails")
	}
	if Error(nil) != nil {
		t.Error("Error(nil) is not nil")
	}
	if plain := errors.New("nothing to hide"); Error(plain) != plain {
		t.Error("Error wrapped an error with nothing to hide")
	}
}

func TestTruncate(t *testing.T) {
	long := strings.Repeat("é", 60000)
	got := Truncate(long, 64)
	if len(got) > 100 || !strings.HasSuffix(got, "… (120000 bytes)") {
		t.Errorf("Truncate = %q", got)
	}
	if !strings.HasPrefix(got, strings.Repeat("é", 32)) {
		t.Errorf("Truncate cut inside a rune: %q", got)
	}
	if Truncate("short", 64) != "short" {
		t.Error("Truncate changed a short string")
	}
}

// FuzzURL checks that a URL's password and secret query values never survive, and that
// redacting twice changes nothing.
func FuzzURL(f *testing.F) {
	for _, c := range urlCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got := URL(s)
		if len(got) > MaxURL+len("… ( bytes)")+len(strconv.Itoa(len(s))) {
			t.Fatalf("URL of %d bytes shown in %d bytes, more than MaxURL %d and the length", len(s), len(got), MaxURL)
		}
		if again := URL(got); again != got && len(got) <= MaxURL {
			t.Fatalf("URL not idempotent: %q → %q → %q", s, got, again)
		}
		if len(got) > MaxURL {
			return // cut: a URL's end may be missing
		}
		p, err := url.Parse(s)
		if err != nil || p.User == nil || p.Scheme == "" || !strings.HasPrefix(s, p.Scheme+"://") {
			return
		}
		if pw, ok := p.User.Password(); ok && len(pw) >= 1 {
			q, err := url.Parse(got)
			if err == nil && q.User != nil {
				if qpw, _ := q.User.Password(); qpw != Mask {
					t.Fatalf("URL(%q) = %q: password %q became %q", s, got, pw, qpw)
				}
			}
		}
	})
}

// FuzzText checks that a password put in a URL inside any text is gone from the result.
func FuzzText(f *testing.F) {
	f.Add("error: ", "S3cretPass", " said ffmpeg")
	f.Add("", "p@ss:w/rd", "")
	f.Fuzz(func(t *testing.T, before, pw, after string) {
		if len(pw) < 3 || strings.ContainsAny(pw, "\x00 \t\n\r'\"<>`@/?#:") {
			return
		}
		u := "rtsp://admin:" + pw + "@cam:554/s"
		if got := Text(before+" "+u+" "+after, pw); strings.Contains(got, pw) {
			t.Fatalf("Text kept %q: %q", pw, got)
		}
	})
}

func TestWords(t *testing.T) {
	long := strings.Repeat("x", 5000)
	for _, c := range []struct{ in, want string }{
		{"", ""},
		{"--backend foo: use one of auto, mlx", "--backend foo: use one of auto, mlx"},
		{"--backend " + long + ": use one of auto", "--backend " + long[:100] + "… (5001 bytes) use one of auto"},
		{"a\n" + long, "a\n" + long[:100] + "… (5000 bytes)"},
	} {
		if got := Words(c.in, 100); got != c.want {
			t.Errorf("Words(%.20q…) = %.160q, want %.160q", c.in, got, c.want)
		}
	}
}

func FuzzWords(f *testing.F) {
	f.Add("--mode " + strings.Repeat("é", 90) + " x")
	f.Fuzz(func(t *testing.T, s string) {
		got := Words(s, 16)
		if len(s) <= 16 && got != s {
			t.Fatalf("short %q changed to %q", s, got)
		}
		if strings.Count(got, "\n") != strings.Count(s, "\n") {
			t.Fatalf("lines changed: %q → %q", s, got)
		}
	})
}
