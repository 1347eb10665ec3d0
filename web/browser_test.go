package web

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// The browser tests drive Debian's chromium headless. scripts/install-deps --test installs it and
// axe-core; without them the tests skip, unless NARRATOR_BROWSER_TESTS=require (scripts/test).

func need(t *testing.T, what, hint string) {
	t.Helper()
	msg := fmt.Sprintf("%s not found (%s); run scripts/install-deps --test", what, hint)
	if os.Getenv("NARRATOR_BROWSER_TESTS") == "require" {
		t.Fatal(msg)
	}
	t.Skip(msg)
}

// chromiumPath is the browser: $NARRATOR_CHROMIUM, else chromium on the PATH.
func chromiumPath(t *testing.T) string {
	t.Helper()
	if p := os.Getenv("NARRATOR_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	need(t, "chromium", "set NARRATOR_CHROMIUM")
	return ""
}

// axeScript is axe-core's axe.min.js: $NARRATOR_AXE_JS, else where install-deps puts it.
func axeScript(t *testing.T) string {
	t.Helper()
	path := os.Getenv("NARRATOR_AXE_JS")
	if path == "" {
		cache, err := os.UserCacheDir()
		if err != nil {
			need(t, "axe-core", err.Error())
		}
		path = filepath.Join(cache, "narrator", "npm", "node_modules", "axe-core", "axe.min.js")
	}
	data, err := os.ReadFile(path)
	if err != nil {
		need(t, "axe-core", "set NARRATOR_AXE_JS: "+err.Error())
	}
	return string(data)
}

// browser starts a headless chromium for the test and returns a tab's context.
func browser(t *testing.T) context.Context {
	t.Helper()
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromiumPath(t)), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.WindowSize(1280, 1000))
	actx, acancel := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx)
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		acancel()
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser
		cancel()
		acancel()
	})
	return ctx
}

type step = chromedp.Action[chromedp.Void]

func run(t *testing.T, ctx context.Context, steps ...step) {
	t.Helper()
	if err := chromedp.Do(ctx, steps...); err != nil {
		t.Fatal(err)
	}
}

// eval evaluates a JavaScript expression in the page (awaiting a promise) into a T.
func eval[T any](t *testing.T, ctx context.Context, expr string) T {
	t.Helper()
	v, err := chromedp.Run(ctx, chromedp.Evaluate[T](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		t.Fatalf("evaluate %.80s: %v", expr, err)
	}
	return v
}

// waitFor polls a JavaScript condition in the page.
func waitFor(t *testing.T, ctx context.Context, what, cond string) {
	t.Helper()
	bustest.Eventually(t, 15*time.Second, what, func() bool { return eval[bool](t, ctx, "Boolean("+cond+")") })
}

func text(t *testing.T, ctx context.Context, selector string) string {
	t.Helper()
	return eval[string](t, ctx, fmt.Sprintf("document.querySelector(%q)?.textContent ?? ''", selector))
}

// cdpCall sends one protocol command as a step.
func cdpCall[P, R any](c cdp.Command[P, R], params P) step {
	return chromedp.Func(func(ctx context.Context, tg *chromedp.Target) error {
		_, err := cdp.Call(ctx, tg, c, params)
		return err
	})
}

// openPage opens path and waits until the page has its snapshot.
func openPage(t *testing.T, ctx context.Context, s *Server, path string) {
	t.Helper()
	run(t, ctx, chromedp.Navigate(strings.TrimSuffix(s.URL(), "/")+path))
	if !strings.HasPrefix(path, "/overlay") {
		waitFor(t, ctx, "the page to connect", `document.querySelector('#status dd') && document.getElementById('connection').textContent === 'Connected'`)
	}
}

// observeCaptions records, in the page, each line added to a live region and when (page clock).
const observeCaptions = `(() => {
  window.seen = [];
  const watch = (r) => new MutationObserver((ms) => { for (const m of ms) for (const n of m.addedNodes)
    if (n.nodeType === 1) window.seen.push({ region: r.id, live: r.getAttribute('aria-live'), text: n.textContent, at: Date.now() }); })
    .observe(r, { childList: true });
  for (const r of document.querySelectorAll('[aria-live]')) watch(r);
  return true;
})()`

type seenLine struct {
	Region, Live, Text string
	At                 int64
}

// waitSeen waits for text to be added to a live region and returns the record.
func waitSeen(t *testing.T, ctx context.Context, text string) seenLine {
	t.Helper()
	var found seenLine
	bustest.Eventually(t, 15*time.Second, "caption "+text, func() bool {
		seen := eval[[]seenLine](t, ctx, "window.seen")
		for _, s := range seen {
			if s.Text == text {
				found = s
				return true
			}
		}
		return false
	})
	return found
}

func TestBrowserCaptionsReachTheLiveRegionWithin500ms(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{})
	openPage(t, ctx, s, "/")
	eval[bool](t, ctx, observeCaptions)
	// A first line warms the page up (its handlers compiled, the stream's buffers allocated).
	say(t, conn, "warm", "Warming up.", bus.PriorityNormal, time.Now(), time.Time{})
	waitSeen(t, ctx, "Warming up.")
	for _, c := range []struct {
		text, priority, live string
	}{
		{"A person sits at a desk.", bus.PriorityNormal, "polite"},
		{"Someone is at the door.", bus.PriorityUrgent, "assertive"},
	} {
		id := bus.NewID()
		publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: id, Text: c.text, Priority: c.priority, CreatedAt: time.Now()})
		if err := conn.Flush(); err != nil {
			t.Fatal(err)
		}
		sent := time.Now()
		// The utterance event the caption follows: the speech stage starting it.
		publish(t, conn, bus.SubjectSpeech, bus.SpeechEvent{ID: bus.NewID(), UtteranceID: id, State: bus.SpeechStarted, Text: c.text, At: sent, SpokenAt: sent})
		got := waitSeen(t, ctx, c.text)
		if got.Live != c.live {
			t.Errorf("%q went to region %s with aria-live=%q, want %q", c.text, got.Region, got.Live, c.live)
		}
		if lag := time.UnixMilli(got.At).Sub(sent); lag > 500*time.Millisecond {
			t.Errorf("%q appeared %s after its speech event, want within 500ms", c.text, lag)
		} else {
			t.Logf("%q in the %s live region %s after its speech event", c.text, c.live, lag)
		}
	}
	if h := text(t, ctx, "#history li"); !strings.Contains(h, "Someone is at the door.") {
		t.Errorf("newest history entry %q", h)
	}
}

func TestBrowserPageOpenedLateShowsTheRecentHistory(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{})
	now := time.Now()
	for i := range 5 {
		say(t, conn, fmt.Sprint("u", i), fmt.Sprint("Earlier line ", i, "."), bus.PriorityNormal, now.Add(time.Duration(i)*time.Second), time.Time{})
	}
	publish(t, conn, bus.SubjectDecisions, bus.Decision{ID: "d", Camera: "cam0", Text: "A desk.", Action: bus.ActionSuppress, Reason: bus.ReasonDuplicate, DecidedAt: now})
	bustest.Eventually(t, 5*time.Second, "the bridge to see the lines", func() bool {
		snap := s.hub.snapshot()
		return len(snap.Captions) == 5 && len(snap.Suppressed) == 1
	})
	openPage(t, ctx, s, "/")
	n := eval[int](t, ctx, "document.querySelectorAll('#history li').length")
	if n != 5 || !strings.Contains(text(t, ctx, "#history li"), "Earlier line 4.") {
		t.Fatalf("history shows %d lines, newest %q; want 5, newest line 4", n, text(t, ctx, "#history li"))
	}
	if got := text(t, ctx, "#captions"); got != "Earlier line 4." {
		t.Errorf("said now %q, want the last line", got)
	}
	if got := text(t, ctx, "#suppressed"); !strings.Contains(got, "duplicate: A desk.") {
		t.Errorf("suppressed %q", got)
	}
}

func TestBrowserControlsSendTheRealRequestAndShowTheReply(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{})
	n := startNarrator(t, conn)
	bustest.Eventually(t, 10*time.Second, "the bridge to learn the narrator's state", func() bool {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		return s.hub.haveState
	})
	openPage(t, ctx, s, "/")
	press := func(key string) step {
		return chromedp.Steps(chromedp.Evaluate[chromedp.Void](`document.activeElement?.blur()`), chromedp.KeyEvent(key))
	}
	click := func(sel string) step { return chromedp.Click(chromedp.CSS(sel)) }
	for _, c := range []struct {
		name   string
		action step
		want   bus.Control // ID and At are not compared
		ack    string
	}{
		{"describe button", chromedp.Click(chromedp.Search(`//button[contains(normalize-space(.), "Describe")]`)), bus.Control{Command: "describe"}, "Describe: ack describe"},
		{"space", press(" "), bus.Control{Command: "describe"}, "Describe: ack describe"},
		{"repeat key, refused", press("r"), bus.Control{Command: "repeat"}, "Repeat failed: nothing has been said yet"},
		{"pause key", press("p"), bus.Control{Command: "pause"}, "Pause: ack pause"},
		{"p again resumes", press("p"), bus.Control{Command: "resume"}, "Resume: ack resume"},
		{"pause button", click("#pause"), bus.Control{Command: "pause"}, "Pause: ack pause"},
		{"resume button", click("#pause"), bus.Control{Command: "resume"}, "Resume: ack resume"},
		{"stop key", press("s"), bus.Control{Command: "stop"}, "Stop: ack stop"},
		{"more detail key", press("+"), bus.Control{Command: "verbosity", Verbosity: "up"}, "Detail: ack verbosity"},
		{"less detail key", press("-"), bus.Control{Command: "verbosity", Verbosity: "down"}, "Detail: ack verbosity"},
		{"detailed radio", click("#v-detailed"), bus.Control{Command: "verbosity", Verbosity: "detailed"}, "Detail: ack verbosity"},
		{"only-changes radio", click("#m-changes"), bus.Control{Command: "mode", Value: "changes"}, "Mode: ack mode"},
		{"faster key", press("."), bus.Control{Command: "rate", Value: "up"}, "Rate: ack rate"},
		{"slower key", press(","), bus.Control{Command: "rate", Value: "down"}, "Rate: ack rate"},
		{"louder key", press("]"), bus.Control{Command: "volume", Value: "up"}, "Volume: ack volume"},
		{"quieter key", press("["), bus.Control{Command: "volume", Value: "down"}, "Volume: ack volume"},
		{"help key", press("?"), bus.Control{Command: "help"}, "Help: ack help"},
		{"slower button", click(`button[data-command="rate"][data-value="down"]`), bus.Control{Command: "rate", Value: "down"}, "Rate: ack rate"},
		{"rate form", chromedp.Steps(chromedp.SetValue(chromedp.CSS("#rate"), "200"), click("#rate-form button")), bus.Control{Command: "rate", Value: "200"}, "Rate: ack rate"},
		{"volume form", chromedp.Steps(chromedp.SetValue(chromedp.CSS("#volume"), "150"), click("#volume-form button")), bus.Control{Command: "volume", Value: "150"}, "Volume: ack volume"},
		{"status button", click(`button[data-command="status"]`), bus.Control{Command: "status"}, "Status: mode narrate, detail detailed, narrating"},
		{"ask", chromedp.Steps(chromedp.SendKeys(chromedp.CSS("#question"), "is the door open? press r, s or p"), click("#ask-form button")),
			bus.Control{Command: "ask", Text: "is the door open? press r, s or p"}, "Ask: ack ask"},
	} {
		before := len(n.controls())
		run(t, ctx, c.action)
		bustest.Eventually(t, 10*time.Second, c.name+" to reach the narrator", func() bool { return len(n.controls()) > before })
		got := n.controls()
		if len(got) != before+1 {
			t.Fatalf("%s sent %d controls: %+v", c.name, len(got)-before, got[before:])
		}
		last := got[before]
		last.ID, last.At = "", time.Time{}
		if last != c.want {
			t.Errorf("%s sent %+v, want %+v", c.name, last, c.want)
		}
		waitFor(t, ctx, c.name+" reply on the page", fmt.Sprintf("document.getElementById('ack').textContent === %q", c.ack))
	}
	// The describe answer: the description carrying the request's id is shown as the reply.
	last := n.controls()[len(n.controls())-1]
	publish(t, conn, bus.DescriptionSubject("cam0"), bus.Description{ID: "ans", Camera: "cam0", FrameID: "f", Text: "Yes, the door is open.", Backend: "heuristic", RequestID: "req-" + last.ID, CapturedAt: time.Now(), CompletedAt: time.Now()})
	waitFor(t, ctx, "the answer", `document.getElementById('ack').textContent === 'Answer to "is the door open? press r, s or p": Yes, the door is open.'`)
	if !strings.Contains(text(t, ctx, "#frame-text"), "Yes, the door is open.") {
		t.Errorf("what the model saw: %q", text(t, ctx, "#frame-text"))
	}
	// With the shortcuts switched off (WCAG 2.1.4), keys send nothing.
	before := len(n.controls())
	run(t, ctx, click("#shortcuts"), press("r"), press(" "), click(`button[data-command="help"]`))
	bustest.Eventually(t, 10*time.Second, "help to reach the narrator", func() bool { return len(n.controls()) > before })
	if got := n.controls()[before:]; len(got) != 1 || got[0].Command != bus.ControlHelp {
		t.Fatalf("with shortcuts off: %+v, want only the help button's control", got)
	}
}

func TestBrowserDisconnectedIsShownAndAnnounced(t *testing.T) {
	ctx := browser(t)
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
	defer conn.Close()
	s, err := New(Config{Conn: conn, Addr: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	sctx, stop := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(sctx) }()
	defer func() { stop(); <-done }()
	openPage(t, ctx, s, "/")
	if !eval[bool](t, ctx, `document.getElementById('alert').getAttribute('role') === 'alert' && document.getElementById('alert').textContent === ''`) {
		t.Fatal("no empty role=alert element while connected")
	}
	visibleAlert := `(() => { const a = document.getElementById('alert'); return /disconnected, retrying/i.test(a.textContent) && a.getBoundingClientRect().height > 0; })()`
	srv.Shutdown()
	waitFor(t, ctx, "the bus's disconnection shown", visibleAlert)
	if got := text(t, ctx, "#alert"); got != "Disconnected, retrying: the narrator's bus is down." {
		t.Errorf("alert %q", got)
	}
	srv = start()
	waitFor(t, ctx, "the bus back", `document.getElementById('alert').textContent === '' && document.getElementById('connection').textContent === 'Connected'`)
	// The page loses the server itself.
	stop()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	done <- nil
	waitFor(t, ctx, "the page's disconnection shown", visibleAlert)
	if got := text(t, ctx, "#alert"); got != "Disconnected, retrying: the narrator cannot be reached." {
		t.Errorf("alert %q", got)
	}
	srv.Shutdown()
}

func TestBrowserHistoryStaysCappedUnderAFlood(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{CaptionsFrom: CaptionsFromUtterances})
	openPage(t, ctx, s, "/")
	const flood = 3000
	for i := range flood {
		publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: fmt.Sprint("u", i), Text: fmt.Sprintf("Line %d.", i), CreatedAt: time.Now()})
	}
	waitFor(t, ctx, "the last line", fmt.Sprintf(`document.querySelector('#history li')?.textContent.includes('Line %d.')`, flood-1))
	counts := eval[struct{ History, Live, Nodes int }](t, ctx, `({History: document.querySelectorAll('#history li').length, Live: document.getElementById('captions').children.length, Nodes: document.getElementsByTagName('*').length})`)
	if counts.History != DefaultHistory || counts.Live > 3 || counts.Nodes > 1500 {
		t.Fatalf("after %d lines: %+v; want %d history entries, at most 3 live lines, a bounded page", flood, counts, DefaultHistory)
	}
	if snap := s.hub.snapshot(); len(snap.Captions) != DefaultHistory {
		t.Fatalf("server keeps %d lines for late pages, want %d", len(snap.Captions), DefaultHistory)
	}
}

func TestBrowserOverlayIsTransparentAndFades(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{CaptionsFrom: CaptionsFromUtterances})
	openPage(t, ctx, s, "/overlay?size=60&position=top&linger=60")
	bg := eval[[]string](t, ctx, `[getComputedStyle(document.documentElement).backgroundColor, getComputedStyle(document.body).backgroundColor]`)
	if len(bg) != 2 || bg[0] != "rgba(0, 0, 0, 0)" || bg[1] != "rgba(0, 0, 0, 0)" {
		t.Fatalf("html and body backgrounds %q, want transparent", bg)
	}
	bustest.Eventually(t, 10*time.Second, "the overlay to connect", func() bool {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		return len(s.hub.clients) == 1
	})
	publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: "a", Text: "Startup.", Kind: bus.KindAnnouncement, CreatedAt: time.Now()})
	publish(t, conn, bus.SubjectUtterances, bus.Utterance{ID: "n", Text: "A cat jumps onto the sofa.", CreatedAt: time.Now()})
	waitFor(t, ctx, "the caption", `document.querySelector('.line')?.textContent === 'A cat jumps onto the sofa.'`)
	style := eval[struct{ Size, Live string }](t, ctx, `({Size: getComputedStyle(document.querySelector('.line')).fontSize, Live: document.getElementById('lines').getAttribute('aria-live')})`)
	if style.Size != "60px" || style.Live != "polite" {
		t.Errorf("caption style %+v, want 60px in a polite live region", style)
	}
	if n := text(t, ctx, "#lines"); strings.Contains(n, "Startup.") {
		t.Errorf("the narrator's own announcement shown on the stream without announcements=1: %q", n)
	}
	// Over a transparent background, only the caption is drawn.
	// cdp.RGBA leaves out an alpha of 0 (then 1, opaque): send the color as a map.
	transparent := cdp.Command[map[string]any, cdp.Empty]{Method: emulation.CommandSetDefaultBackgroundColorOverride}
	run(t, ctx, cdpCall(transparent, map[string]any{"color": map[string]any{"r": 0, "g": 0, "b": 0, "a": 0}}))
	shot, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
	if err != nil {
		t.Fatal(err)
	}
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	rect := eval[struct{ X, Y, W, H float64 }](t, ctx, `(() => { const r = document.querySelector('.line').getBoundingClientRect(); return {X: r.x, Y: r.y, W: r.width, H: r.height}; })()`)
	b := img.Bounds()
	if _, _, _, a := img.At(b.Min.X+2, b.Max.Y-2).RGBA(); a != 0 {
		t.Errorf("the overlay's corner is not transparent (alpha %d)", a)
	}
	if _, _, _, a := img.At(int(rect.X+rect.W/2), int(rect.Y+rect.H/2)).RGBA(); a == 0 {
		t.Errorf("the caption is not drawn (alpha 0 at its centre %+v)", rect)
	}

	// A line goes after its linger.
	openPage(t, ctx, s, "/overlay?linger=1")
	sayUntilShown(t, ctx, conn, "The cat sleeps.")
	waitFor(t, ctx, "the caption to fade out after its linger", `document.querySelectorAll('.line').length === 0`)
}

// sayUntilShown says text (an utterance and its speech start) every 100 ms until the overlay,
// which may still be connecting, shows it.
func sayUntilShown(t *testing.T, ctx context.Context, conn *bus.Conn, text string) {
	t.Helper()
	shown := fmt.Sprintf(`[...document.querySelectorAll('.line')].some(l => l.textContent === %q)`, text)
	next := time.Now()
	bustest.Eventually(t, 15*time.Second, "a caption on the overlay", func() bool {
		if time.Now().After(next) {
			say(t, conn, bus.NewID(), text, bus.PriorityNormal, time.Now(), time.Time{})
			next = time.Now().Add(100 * time.Millisecond)
		}
		return eval[bool](t, ctx, shown)
	})
}

// axeTags are the rules run: WCAG 2.0, 2.1 and 2.2, levels A and AA.
var axeTags = []string{"wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"}

type axeViolation struct {
	ID, Impact, Help string
	Nodes            []struct {
		Target         []any
		FailureSummary string
	}
}

func TestBrowserAxeFindsNoViolations(t *testing.T) {
	axe := axeScript(t)
	ctx := browser(t)
	s, conn := serve(t, Config{})
	startNarrator(t, conn)
	now := time.Now()
	if err := conn.PublishFrame(bus.Frame{ID: "f1", Camera: "cam0", Seq: 1, CapturedAt: now, Width: 2, Height: 2, Reason: bus.FrameFirst, JPEG: tinyJPEG(t)}); err != nil {
		t.Fatal(err)
	}
	publish(t, conn, bus.SourceSubject("cam0"), bus.SourceEvent{ID: "s", Camera: "cam0", State: bus.SourceUp, Source: "demo", At: now})
	bustest.Eventually(t, 5*time.Second, "the frame kept", func() bool {
		s.hub.mu.Lock()
		defer s.hub.mu.Unlock()
		return s.hub.latest.Len() == 1
	})
	publish(t, conn, bus.DescriptionSubject("cam0"), bus.Description{ID: "d1", Camera: "cam0", FrameID: "f1", Text: "A red square on beige.", Backend: "heuristic", CapturedAt: now, InferenceStartedAt: now, CompletedAt: now.Add(40 * time.Millisecond)})
	say(t, conn, "u1", "A red square on beige.", bus.PriorityNormal, now, now.Add(time.Second))
	say(t, conn, "u2", "Someone is at the door.", bus.PriorityUrgent, now.Add(2*time.Second), time.Time{})
	publish(t, conn, bus.SubjectDecisions, bus.Decision{ID: "d", Camera: "cam0", Text: "A red square.", Action: bus.ActionSuppress, Reason: bus.ReasonDuplicate, DecidedAt: now})
	bustest.Eventually(t, 5*time.Second, "the bridge to see the events", func() bool {
		snap := s.hub.snapshot()
		return len(snap.Captions) == 2 && len(snap.Suppressed) == 1 && len(snap.Descriptions) == 1 && snap.Descriptions[0].FrameURL != ""
	})
	for _, scheme := range []string{"light", "dark"} {
		for _, c := range []struct {
			name, path, prepare string
		}{
			{"page", "/", `document.getElementById('suppressed-box').open = true; document.querySelector('button[data-command="repeat"]').click(); true`},
			{"overlay", "/overlay?linger=60", `true`},
		} {
			t.Run(scheme+" "+c.name, func(t *testing.T) {
				run(t, ctx, cdpCall(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}))
				openPage(t, ctx, s, c.path)
				eval[bool](t, ctx, c.prepare)
				if c.name == "page" {
					waitFor(t, ctx, "the reply and the frame", `document.getElementById('ack').textContent.startsWith('Repeat') && !document.getElementById('ack').textContent.includes('waiting') && document.getElementById('frame-img').complete && !document.getElementById('frame-img').hidden`)
				} else {
					sayUntilShown(t, ctx, conn, "A cat jumps onto the sofa.")
				}
				eval[bool](t, ctx, axe+";true")
				tags, _ := json.Marshal(axeTags)
				violations := eval[[]axeViolation](t, ctx, fmt.Sprintf(`axe.run(document, {runOnly: {type: 'tag', values: %s}}).then(r => r.violations)`, tags))
				for _, v := range violations {
					t.Errorf("axe %s (%s): %s", v.ID, v.Impact, v.Help)
					for _, n := range v.Nodes {
						t.Logf("  %v: %s", n.Target, n.FailureSummary)
					}
				}
			})
		}
	}
}

func TestBrowserKeyboardOnlyFocusIsVisible(t *testing.T) {
	ctx := browser(t)
	s, _ := serve(t, Config{})
	// Tab through the first controls: each has a thick outline in both colour schemes.
	for _, scheme := range []string{"light", "dark"} {
		run(t, ctx, cdpCall(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: scheme}}}))
		openPage(t, ctx, s, "/")
		var names []string
		for range 6 {
			run(t, ctx, chromedp.KeyEvent("\t"))
			f := eval[struct{ Name, Style, Width string }](t, ctx, `(() => { const e = document.activeElement, c = getComputedStyle(e);
				return {Name: e.tagName + ' ' + e.textContent.trim().slice(0, 20), Style: c.outlineStyle, Width: c.outlineWidth}; })()`)
			names = append(names, f.Name)
			if f.Style != "solid" || f.Width != "4px" {
				t.Errorf("%s: focused %q has outline %s %s, want a visible 4px solid one", scheme, f.Name, f.Width, f.Style)
			}
		}
		if !strings.HasPrefix(names[0], "A Skip to controls") || !strings.Contains(strings.Join(names, "|"), "BUTTON Describe now") {
			t.Errorf("%s: tab order %q, want the skip link, then the controls", scheme, names)
		}
	}
}

func TestBrowserOverlayHonoursReducedMotion(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{})
	for _, c := range []struct{ motion, want string }{{"no-preference", "0.6s"}, {"reduce", "0s"}} {
		run(t, ctx, cdpCall(emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{Features: []*emulation.MediaFeature{{Name: "prefers-reduced-motion", Value: c.motion}}}))
		openPage(t, ctx, s, "/overlay?linger=60")
		sayUntilShown(t, ctx, conn, "A line for "+c.motion+".")
		if got := eval[string](t, ctx, `getComputedStyle(document.querySelector('.line')).transitionDuration`); got != c.want {
			t.Errorf("prefers-reduced-motion %s: the caption's transition lasts %s, want %s", c.motion, got, c.want)
		}
	}
}

func TestBrowserTokenOpensThePageOnce(t *testing.T) {
	ctx := browser(t)
	s, conn := serve(t, Config{Token: "s3cret"})
	n := startNarrator(t, conn)
	openPage(t, ctx, s, "/?token=s3cret")
	if loc := eval[string](t, ctx, "location.href"); strings.Contains(loc, "s3cret") {
		t.Errorf("the token stays in the address bar: %s", loc)
	}
	before := len(n.controls())
	run(t, ctx, chromedp.Click(chromedp.Search(`//button[contains(normalize-space(.), "Describe")]`)))
	waitFor(t, ctx, "the describe reply", `document.getElementById('ack').textContent === 'Describe: ack describe'`)
	if got := n.controls()[before:]; len(got) != 1 || got[0].Command != bus.ControlDescribe {
		t.Fatalf("controls %+v, want one describe", got)
	}
	// Reloaded without the token, the cookie opens it.
	openPage(t, ctx, s, "/")
	// Without the cookie, the page is refused; the overlay takes the token in its address (a
	// streaming program's browser source) and its stream too.
	run(t, ctx, cdpCall(network.ClearBrowserCookies, cdp.Empty{}), chromedp.Navigate(s.URL()))
	if body := text(t, ctx, "body"); !strings.Contains(body, "needs the token") {
		t.Fatalf("without the token: %q", body)
	}
	run(t, ctx, cdpCall(network.ClearBrowserCookies, cdp.Empty{}))
	openPage(t, ctx, s, "/overlay?token=s3cret&linger=60")
	sayUntilShown(t, ctx, conn, "With a token.")
}
