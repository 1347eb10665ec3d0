package openai

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/inference"
)

// TestCredentialsInTheURLNeverReachErrorsOrLogs: --openai-url http://admin:pass@host puts its
// password in no error (errors are published in description events) and no log line.
func TestCredentialsInTheURLNeverReachErrorsOrLogs(t *testing.T) {
	const secret = "S3cretPass"
	cases := []struct {
		name   string
		server *modelServer
	}{
		{"error status", &modelServer{status: 500, contentType: "application/json", body: `{"error":{"message":"boom"}}`}},
		{"HTML page", &modelServer{contentType: "text/html", body: "<html><body>login</body></html>"}},
		{"closed mid-answer", &modelServer{body: sse(`{"choices":[{"delta":{"content":"A red ball"}}]}`)}},
		{"timeout", &modelServer{hang: true}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			c.server.t = t
			srv := httptest.NewServer(c.server)
			t.Cleanup(srv.Close)
			var logs bytes.Buffer
			url := strings.Replace(srv.URL, "http://", "http://admin:"+secret+"@", 1)
			o, err := New(context.Background(), Config{URL: url, Model: "test-vlm", Timeout: 200 * time.Millisecond, Retries: inference.Off,
				Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
			if err != nil {
				t.Fatal(err)
			}
			_, err = o.Describe(context.Background(), testFrame(), nil)
			if err == nil {
				t.Fatal("no error")
			}
			if strings.Contains(err.Error(), secret) || strings.Contains(logs.String(), secret) {
				t.Fatalf("the password leaked:\nerror: %v\nlogs: %s", err, logs.String())
			}
		})
	}
	t.Run("server down", func(t *testing.T) {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		addr := l.Addr().String()
		_ = l.Close()
		_, err = New(context.Background(), Config{URL: "http://admin:" + secret + "@" + addr, Model: "m", Retries: inference.Off})
		if err == nil || strings.Contains(err.Error(), secret) {
			t.Fatalf("server down: error %v, want one without the password", err)
		}
	})
}
