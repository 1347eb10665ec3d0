package web

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// narratorDouble answers control requests the way the narrator stage does (this repository,
// narrator/stage.go, (*Stage).control and (*Stage).answer): exactly one ControlReply per
// request, OK with a message or not OK with an error, always with the state after it (mode,
// verbosity, paused), and a DescribeID for describe and ask, the id its description will carry
// as request_id.
type narratorDouble struct {
	mu        sync.Mutex
	got       []bus.Control
	paused    bool
	verbosity string
}

func startNarrator(t testing.TB, c *bus.Conn) *narratorDouble {
	t.Helper()
	q, err := bus.SubscribeRequests[bus.Control](c, bus.SubjectControl, bus.QueueConfig{Name: "test.control", Size: 64})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Flush(); err != nil {
		t.Fatal(err)
	}
	n := &narratorDouble{verbosity: "normal"}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			r, err := q.Next(ctx)
			if err != nil {
				return
			}
			_ = c.Reply(r, n.reply(r.Body))
		}
	}()
	t.Cleanup(func() { cancel(); <-done })
	return n
}

func (n *narratorDouble) reply(c bus.Control) bus.ControlReply {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.got = append(n.got, c)
	rep := bus.ControlReply{ID: bus.NewID(), RequestID: c.ID, OK: true, Message: "ack " + c.Command, Mode: "narrate", At: time.Now().UTC()}
	switch c.Command {
	case bus.ControlPause:
		n.paused = true
	case bus.ControlResume:
		n.paused = false
	case bus.ControlVerbosity:
		if c.Verbosity == "short" || c.Verbosity == "normal" || c.Verbosity == "detailed" {
			n.verbosity = c.Verbosity
		}
	case bus.ControlDescribe, bus.ControlAsk:
		rep.DescribeID = "req-" + c.ID
	case bus.ControlRepeat:
		rep.OK, rep.Message, rep.Error = false, "", "nothing has been said yet"
	}
	rep.Paused, rep.Verbosity = n.paused, n.verbosity
	return rep
}

// controls returns the controls received so far.
func (n *narratorDouble) controls() []bus.Control {
	n.mu.Lock()
	defer n.mu.Unlock()
	return append([]bus.Control{}, n.got...)
}

// serve starts a Server on a free loopback port for the test; cfg.Conn defaults to a new
// embedded bus.
func serve(t testing.TB, cfg Config) (*Server, *bus.Conn) {
	t.Helper()
	if cfg.Conn == nil {
		srv := bustest.Server(t)
		cfg.Conn = bustest.Conn(t, srv, "web")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	bustest.Run(t, s)
	return s, cfg.Conn
}

// get fetches path from s and returns the status and body.
func get(t testing.TB, s *Server, path string, header ...string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodGet, strings.TrimSuffix(s.URL(), "/")+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var b strings.Builder
	buf := make([]byte, 32<<10)
	for {
		n, err := resp.Body.Read(buf)
		b.Write(buf[:n])
		if err != nil {
			break
		}
	}
	return resp.StatusCode, b.String()
}

func publish(t testing.TB, c *bus.Conn, subject string, v any) {
	t.Helper()
	if err := c.PublishEvent(subject, v); err != nil {
		t.Fatal(err)
	}
}

// say publishes an utterance and its speech started and finished events.
func say(t testing.TB, c *bus.Conn, id, text, priority string, start, end time.Time) {
	t.Helper()
	publish(t, c, bus.SubjectUtterances, bus.Utterance{ID: id, Camera: "cam0", Text: text, Priority: priority, CreatedAt: start, Kind: bus.KindNarration})
	publish(t, c, bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: id, Camera: "cam0", State: bus.SpeechStarted, Text: text, Backend: "espeak-ng", At: start, SpokenAt: start, Kind: bus.KindNarration})
	if !end.IsZero() {
		publish(t, c, bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: id, Camera: "cam0", State: bus.SpeechFinished, Text: text, Backend: "espeak-ng", At: end, Kind: bus.KindNarration})
	}
}

// tinyJPEG is a small real JPEG (a red square on beige) for the frame the page shows.
func tinyJPEG(t testing.TB) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, 160, 120))
	for y := range 120 {
		for x := range 160 {
			c := color.RGBA{225, 215, 190, 255}
			if x > 20 && x < 70 && y > 30 && y < 100 {
				c = color.RGBA{200, 30, 30, 255}
			}
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, nil); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}
