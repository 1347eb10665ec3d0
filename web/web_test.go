package web

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestNewRefusesBeyondLoopbackWithoutToken(t *testing.T) {
	conn := bustest.Conn(t, bustest.Server(t), "web")
	_, err := New(Config{Conn: conn, Addr: "0.0.0.0:0"})
	if !errors.Is(err, ErrTokenRequired) {
		t.Fatalf("New beyond loopback without a token: %v, want ErrTokenRequired", err)
	}
	s, err := New(Config{Conn: conn, Addr: "0.0.0.0:0", Token: "secret"})
	if err != nil {
		t.Fatalf("New beyond loopback with a token: %v", err)
	}
	if s.Loopback() {
		t.Error("0.0.0.0 reported as loopback")
	}
	s.hub.close()
	_ = s.ln.Close()
	for _, bad := range []string{"8080", "127.0.0.1:http", "127.0.0.1:70000"} {
		if _, err := New(Config{Conn: conn, Addr: bad}); err == nil {
			t.Errorf("New(%q) accepted a bad address", bad)
		}
	}
}

func TestGuard(t *testing.T) {
	open, _ := serve(t, Config{})
	locked, _ := serve(t, Config{Token: "s3cret"})
	for _, c := range []struct {
		name   string
		s      *Server
		path   string
		header []string
		want   int
	}{
		{"loopback page", open, "/", nil, http.StatusOK},
		{"overlay", open, "/overlay", nil, http.StatusOK},
		{"script", open, "/assets/app.js", nil, http.StatusOK},
		{"rebound host name", open, "/", []string{"Host", "evil.example:8080"}, http.StatusMisdirectedRequest},
		{"localhost by name", open, "/", []string{"Host", "localhost:8080"}, http.StatusOK},
		{"no token", locked, "/", nil, http.StatusUnauthorized},
		{"no token for events", locked, "/captions.vtt", nil, http.StatusUnauthorized},
		{"wrong token", locked, "/?token=nope", nil, http.StatusUnauthorized},
		{"token in the query", locked, "/?token=s3cret", nil, http.StatusOK},
		{"token in a cookie", locked, "/captions.srt", []string{"Cookie", tokenCookie + "=s3cret"}, http.StatusOK},
		{"bearer token", locked, "/api/snapshot", []string{"Authorization", "Bearer s3cret"}, http.StatusOK},
		{"wrong bearer token", locked, "/api/snapshot", []string{"Authorization", "Bearer s3cre"}, http.StatusUnauthorized},
		{"unknown path", open, "/nothing", nil, http.StatusNotFound},
	} {
		t.Run(c.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodGet, strings.TrimSuffix(c.s.URL(), "/")+c.path, nil)
			for i := 0; i+1 < len(c.header); i += 2 {
				if c.header[i] == "Host" {
					req.Host = c.header[i+1]
				} else {
					req.Header.Set(c.header[i], c.header[i+1])
				}
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != c.want {
				t.Fatalf("GET %s: %d, want %d", c.path, resp.StatusCode, c.want)
			}
			if c.want == http.StatusOK && resp.Header.Get("Content-Security-Policy") == "" {
				t.Error("no Content-Security-Policy")
			}
		})
	}
}

func postControl(t *testing.T, s *Server, body string, header ...string) (int, bus.ControlReply) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, s.URL()+"api/control", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var rep bus.ControlReply
	if err := json.NewDecoder(resp.Body).Decode(&rep); err != nil {
		t.Fatalf("reply is not JSON: %v", err)
	}
	return resp.StatusCode, rep
}

func TestControl(t *testing.T) {
	s, conn := serve(t, Config{ControlTimeout: 300 * time.Millisecond})
	// Nothing answers yet: a clear error, not a hang.
	if code, rep := postControl(t, s, `{"command":"describe"}`); code != http.StatusGatewayTimeout || rep.OK || !strings.Contains(rep.Error, "did not answer within 300ms") {
		t.Fatalf("without a narrator: %d %+v", code, rep)
	}
	n := startNarrator(t, conn)
	code, rep := postControl(t, s, `{"command":"describe"}`)
	if code != http.StatusOK || !rep.OK || rep.DescribeID == "" || rep.Message != "ack describe" {
		t.Fatalf("describe: %d %+v", code, rep)
	}
	code, rep = postControl(t, s, `{"command":"ask","text":"  what colour is the cup?  "}`)
	if code != http.StatusOK || !rep.OK {
		t.Fatalf("ask: %d %+v", code, rep)
	}
	code, rep = postControl(t, s, `{"command":"repeat"}`)
	if code != http.StatusOK || rep.OK || rep.Error != "nothing has been said yet" {
		t.Fatalf("the narrator's refusal is passed on: %d %+v", code, rep)
	}
	got := n.controls()
	if len(got) != 3 || got[0].Command != bus.ControlDescribe || got[1].Command != bus.ControlAsk || got[1].Text != "what colour is the cup?" || got[0].ID == "" || got[0].At.IsZero() {
		t.Fatalf("controls on the bus: %+v", got)
	}

	// Refused before the bus: not JSON, another site, bad input.
	for _, c := range []struct {
		name, body string
		header     []string
		want       int
	}{
		{"form post", `{"command":"stop"}`, []string{"Content-Type", "text/plain"}, http.StatusUnsupportedMediaType},
		{"another site", `{"command":"stop"}`, []string{"Origin", "http://evil.example"}, http.StatusForbidden},
		{"unknown command", `{"command":"quit"}`, nil, http.StatusBadRequest},
		{"empty question", `{"command":"ask","text":"  "}`, nil, http.StatusBadRequest},
		{"not JSON", `stop`, nil, http.StatusBadRequest},
		{"too large", `{"command":"ask","text":"` + strings.Repeat("a", maxControlBody) + `"}`, nil, http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			code, rep := postControl(t, s, c.body, c.header...)
			if code != c.want || rep.OK || rep.Error == "" {
				t.Fatalf("%d %+v, want %d with an error", code, rep, c.want)
			}
		})
	}
	if len(n.controls()) != 3 {
		t.Fatalf("refused controls reached the bus: %+v", n.controls()[3:])
	}
	// The page's own origin is accepted.
	if code, rep := postControl(t, s, `{"command":"stop"}`, "Origin", strings.TrimSuffix(s.URL(), "/")); code != http.StatusOK || !rep.OK {
		t.Fatalf("same origin: %d %+v", code, rep)
	}
}

var controlCases = []struct {
	body string
	want bus.Control // ID and At are not compared
	err  string
}{
	{`{"command":"describe"}`, bus.Control{Command: "describe"}, ""},
	{`{"command":"describe","camera":"door"}`, bus.Control{Command: "describe", Camera: "door"}, ""},
	{`{"command":"describe","camera":"a.b"}`, bus.Control{}, "camera name"},
	{`{"command":"repeat"}`, bus.Control{Command: "repeat"}, ""},
	{`{"command":"pause"}`, bus.Control{Command: "pause"}, ""},
	{`{"command":"resume"}`, bus.Control{Command: "resume"}, ""},
	{`{"command":"stop"}`, bus.Control{Command: "stop"}, ""},
	{`{"command":"help"}`, bus.Control{Command: "help"}, ""},
	{`{"command":"status"}`, bus.Control{Command: "status"}, ""},
	{`{"command":"ask","text":" why? "}`, bus.Control{Command: "ask", Text: "why?"}, ""},
	{`{"command":"ask"}`, bus.Control{}, "needs a question"},
	{`{"command":"ask","text":"` + strings.Repeat("é", maxQuestion+1) + `"}`, bus.Control{}, "at most"},
	{`{"command":"verbosity","verbosity":"up"}`, bus.Control{Command: "verbosity", Verbosity: "up"}, ""},
	{`{"command":"verbosity","verbosity":"detailed"}`, bus.Control{Command: "verbosity", Verbosity: "detailed"}, ""},
	{`{"command":"verbosity","verbosity":"loud"}`, bus.Control{}, "use up, down"},
	{`{"command":"mode","value":"changes"}`, bus.Control{Command: "mode", Value: "changes"}, ""},
	{`{"command":"mode","value":"director"}`, bus.Control{}, "use narrate, changes or ondemand"},
	{`{"command":"rate","value":"up"}`, bus.Control{Command: "rate", Value: "up"}, ""},
	{`{"command":"volume","value":"120"}`, bus.Control{Command: "volume", Value: "120"}, ""},
	{`{"command":"volume"}`, bus.Control{}, "needs up, down"},
	{`{"command":"quit"}`, bus.Control{}, "unknown command"},
	{`{"command":"` + strings.Repeat("x", 100) + `"}`, bus.Control{}, "…"},
	{`[1,2]`, bus.Control{}, "not JSON"},
	{``, bus.Control{}, "not JSON"},
}

func TestParseControl(t *testing.T) {
	for _, c := range controlCases {
		got, err := ParseControl([]byte(c.body))
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("ParseControl(%.60s) = %v, want an error with %q", c.body, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseControl(%.60s): %v", c.body, err)
			continue
		}
		if got.ID == "" || got.At.IsZero() {
			t.Errorf("ParseControl(%.60s): no id or time", c.body)
		}
		got.ID, got.At = "", time.Time{}
		if got != c.want {
			t.Errorf("ParseControl(%.60s) = %+v, want %+v", c.body, got, c.want)
		}
	}
}

func FuzzParseControl(f *testing.F) {
	for _, c := range controlCases {
		f.Add([]byte(c.body))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		c, err := ParseControl(body)
		if err != nil {
			return
		}
		// What is accepted is a control `narrator ctl` could send.
		data, _ := json.Marshal(c)
		if len(data) > 2*maxControlBody || c.ID == "" {
			t.Fatalf("accepted %q as %+v", body, c)
		}
		switch c.Command {
		case bus.ControlAsk:
			if strings.TrimSpace(c.Text) == "" {
				t.Fatalf("ask without a question: %q", body)
			}
		case bus.ControlVerbosity:
			if c.Verbosity == "" {
				t.Fatalf("verbosity without a level: %q", body)
			}
		}
		if c.Camera != "" && bus.ValidateCamera(c.Camera) != nil {
			t.Fatalf("bad camera accepted: %q", c.Camera)
		}
	})
}

// sseReader reads Server-Sent Events from /events.
type sseReader struct {
	resp *http.Response
	r    *bufio.Reader
}

func openEvents(t *testing.T, s *Server) *sseReader { return openEventsB(t, s) }

func openEventsB(t testing.TB, s *Server) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, s.URL()+"events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("content type %q", ct)
	}
	return &sseReader{resp: resp, r: bufio.NewReader(resp.Body)}
}

// next returns the next event's name and data, skipping comments and the retry field.
func (s *sseReader) next(t testing.TB) (string, string) {
	t.Helper()
	var name, data string
	for {
		line, err := s.r.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended: %v", err)
		}
		line = strings.TrimSuffix(line, "\n")
		switch {
		case line == "" && name != "":
			return name, data
		case strings.HasPrefix(line, "event: "):
			name = strings.TrimPrefix(line, "event: ")
		case strings.HasPrefix(line, "data: "):
			data = strings.TrimPrefix(line, "data: ")
		}
	}
}

// nextOf returns the data of the next event called name.
func (s *sseReader) nextOf(t *testing.T, name string) string { return s.nextOfB(t, name) }

func (s *sseReader) nextOfB(t testing.TB, name string) string {
	t.Helper()
	for {
		if n, d := s.next(t); n == name {
			return d
		}
	}
}

func TestLateJoinerGetsTheRecentHistoryThenLiveEvents(t *testing.T) {
	s, conn := serve(t, Config{History: 5, Suppressed: 2})
	start := time.Now()
	for i := range 12 {
		say(t, conn, fmt.Sprintf("u%d", i), fmt.Sprintf("line %d", i), bus.PriorityNormal, start.Add(time.Duration(i)*time.Second), time.Time{})
	}
	for i := range 3 {
		publish(t, conn, bus.SubjectDecisions, bus.Decision{ID: fmt.Sprint("d", i), Camera: "cam0", Text: fmt.Sprint("same ", i), Action: bus.ActionSuppress, Reason: bus.ReasonDuplicate})
	}
	publish(t, conn, bus.SubjectDecisions, bus.Decision{ID: "spoken", Camera: "cam0", Text: "said", Action: bus.ActionSpeak})
	publish(t, conn, bus.SourceSubject("cam0"), bus.SourceEvent{ID: "s", Camera: "cam0", State: bus.SourceDown, Error: "gone"})
	bustest.Eventually(t, 5*time.Second, "the bridge to see every event", func() bool {
		snap := s.hub.snapshot()
		return len(snap.Captions) == 5 && snap.Captions[4].Text == "line 11" && len(snap.Suppressed) == 2 && snap.Suppressed[1].ID == "d2" && snap.Status.Sources["cam0"].State == bus.SourceDown
	})
	ev := openEvents(t, s)
	name, data := ev.next(t)
	if name != evSnapshot {
		t.Fatalf("first event %q, want the snapshot", name)
	}
	var snap snapshot
	if err := json.Unmarshal([]byte(data), &snap); err != nil {
		t.Fatal(err)
	}
	if len(snap.Captions) != 5 || snap.Captions[0].Text != "line 7" || snap.HistoryMax != 5 {
		t.Fatalf("snapshot captions %+v, want lines 7-11", snap.Captions)
	}
	if snap.Status.Sources["cam0"].Error != "gone" || snap.Status.CaptionsFrom != CaptionsFromSpeech {
		t.Fatalf("snapshot status %+v", snap.Status)
	}
	say(t, conn, "live", "live line", bus.PriorityUrgent, time.Now(), time.Time{})
	var c caption
	if err := json.Unmarshal([]byte(ev.nextOf(t, evCaption)), &c); err != nil {
		t.Fatal(err)
	}
	if c.Text != "live line" || !c.Urgent || c.ID != "live" {
		t.Fatalf("live caption %+v, want the urgent live line", c)
	}
}

func TestCaptionsFromUtterancesWithoutSpeech(t *testing.T) {
	s, conn := serve(t, Config{CaptionsFrom: CaptionsFromUtterances})
	ev := openEvents(t, s)
	ev.nextOf(t, evSnapshot)
	publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: "u1", Text: "A cup on a table.", Priority: bus.PriorityNormal, CreatedAt: time.Now()})
	var c caption
	if err := json.Unmarshal([]byte(ev.nextOf(t, evCaption)), &c); err != nil {
		t.Fatal(err)
	}
	if c.Text != "A cup on a table." || c.Kind != bus.KindNarration {
		t.Fatalf("caption %+v", c)
	}
}

func TestSlowPageDropsItsOldestEventsCounted(t *testing.T) {
	counters := bus.NewCounters()
	s, conn := serve(t, Config{ClientQueue: 4, CaptionsFrom: CaptionsFromUtterances, Counters: counters})
	c, _, ok := s.hub.join() // a page that never reads
	if !ok {
		t.Fatal("join refused")
	}
	defer s.hub.leave(c)
	for i := range 20 {
		publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: fmt.Sprint("u", i), Text: fmt.Sprint("line ", i), CreatedAt: time.Now()})
	}
	bustest.Eventually(t, 5*time.Second, "16 drops counted", func() bool { return counters.Counter(bus.CounterWebClientDropped).Load() == 16 })
	if len(c.ch) != 4 {
		t.Fatalf("queue holds %d, want its size 4", len(c.ch))
	}
	last := <-c.ch
	for len(c.ch) > 0 {
		last = <-c.ch
	}
	if !strings.Contains(string(last), `"line 19"`) {
		t.Fatalf("newest kept event %s, want line 19 (the oldest are dropped)", last)
	}
}

func TestTooManyPages(t *testing.T) {
	s, _ := serve(t, Config{MaxClients: 1})
	openEvents(t, s).nextOf(t, evSnapshot)
	if code, _ := get(t, s, "/events"); code != http.StatusServiceUnavailable {
		t.Fatalf("second page: %d, want 503", code)
	}
}

func fakeJPEG(n byte) []byte { return []byte{0xFF, 0xD8, 0xFF, 0xE0, n, n, 0xFF, 0xD9} }

func TestDescribedFrameIsServedAndOnlyTheNewestKept(t *testing.T) {
	s, conn := serve(t, Config{})
	ev := openEvents(t, s)
	ev.nextOf(t, evSnapshot)
	now := time.Now()
	frame := func(id string, n byte) {
		if err := conn.PublishFrame(bus.Frame{ID: id, Camera: "cam0", Seq: uint64(n), CapturedAt: now, Width: 2, Height: 2, Reason: bus.FrameChanged, JPEG: fakeJPEG(n)}); err != nil {
			t.Fatal(err)
		}
	}
	describe := func(id, frameID string) description {
		publish(t, conn, bus.DescriptionSubject("cam0"), bus.Description{ID: id, Camera: "cam0", FrameID: frameID, Text: "text of " + frameID, Backend: "heuristic",
			CapturedAt: now, InferenceStartedAt: now.Add(10 * time.Millisecond), FirstTokenAt: now.Add(30 * time.Millisecond), CompletedAt: now.Add(110 * time.Millisecond)})
		var d description
		if err := json.Unmarshal([]byte(ev.nextOf(t, evDescription)), &d); err != nil {
			t.Fatal(err)
		}
		return d
	}
	frame("f1", 1)
	bustest.Eventually(t, 5*time.Second, "frame f1 kept", func() bool {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		f, ok := s.hub.latest.Get("cam0")
		return ok && f.ID == "f1"
	})
	d := describe("d1", "f1")
	if d.QueuedMS != 10 || d.FirstTokenMS != 20 || d.InferenceMS != 100 || d.TotalMS != 110 {
		t.Fatalf("timings %+v", d)
	}
	var ref frameRef
	if err := json.Unmarshal([]byte(ev.nextOf(t, evFrame)), &ref); err != nil {
		t.Fatal(err)
	}
	if ref.DescriptionID != "d1" || ref.URL != "/frame/cam0?id=f1" {
		t.Fatalf("frame ref %+v", ref)
	}
	code, body := get(t, s, ref.URL)
	if code != http.StatusOK || body != string(fakeJPEG(1)) {
		t.Fatalf("GET %s: %d %q", ref.URL, code, body)
	}
	// A description that arrives before its frame is pinned when the frame comes.
	describe("d2", "f2")
	frame("f2", 2)
	if err := json.Unmarshal([]byte(ev.nextOf(t, evFrame)), &ref); err != nil {
		t.Fatal(err)
	}
	if ref.DescriptionID != "d2" {
		t.Fatalf("frame ref %+v, want d2's", ref)
	}
	if code, _ := get(t, s, "/frame/cam0?id=f1"); code != http.StatusNotFound {
		t.Fatalf("the older described frame: %d, want 404 (only the newest is kept)", code)
	}
	if code, body := get(t, s, ref.URL); code != http.StatusOK || body != string(fakeJPEG(2)) {
		t.Fatalf("GET %s: %d %q", ref.URL, code, body)
	}
	if d := s.hub.snapshot().Descriptions; len(d) != 1 || d[0].FrameURL != ref.URL {
		t.Fatalf("snapshot descriptions %+v", d)
	}
}

func TestBusDisconnectedThenBack(t *testing.T) {
	port := freePort(t)
	start := func() *bus.Server {
		srv, err := bus.StartServer(bus.ServerConfig{Listen: "127.0.0.1:" + port})
		if err != nil {
			t.Fatal(err)
		}
		return srv
	}
	srv := start()
	conn, err := bus.Dial(context.Background(), srv.ClientURL(), "web", bus.Auth{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, _ := serve(t, Config{Conn: conn})
	t.Cleanup(conn.Close) // after the server's Run returned (cleanups run last first)
	ev := openEvents(t, s)
	ev.nextOf(t, evSnapshot)
	srv.Shutdown()
	waitBus := func(want string) {
		for {
			var st status
			if err := json.Unmarshal([]byte(ev.nextOf(t, evStatus)), &st); err != nil {
				t.Fatal(err)
			}
			if st.Bus == want {
				return
			}
		}
	}
	waitBus("disconnected")
	srv = start()
	defer srv.Shutdown()
	waitBus("connected")
}

func freePort(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return strconv.Itoa(ln.Addr().(*net.TCPAddr).Port)
}
