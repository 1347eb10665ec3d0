package web

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

// TestScreenshots takes the screenshots in docs/web.md from a running narrator:
//
//	narrator run --source demo --web 127.0.0.1:8080 &
//	NARRATOR_WEB_URL=http://127.0.0.1:8080 NARRATOR_WEB_SCREENSHOTS=$PWD/docs/images go test -run TestScreenshots ./web
func TestScreenshots(t *testing.T) {
	base, dir := os.Getenv("NARRATOR_WEB_URL"), os.Getenv("NARRATOR_WEB_SCREENSHOTS")
	if base == "" || dir == "" {
		t.Skip("set NARRATOR_WEB_URL and NARRATOR_WEB_SCREENSHOTS to take the documentation's screenshots")
	}
	base = strings.TrimSuffix(base, "/")
	ctx := browser(t)
	shoot := func(name string) {
		png, err := chromedp.Run(ctx, chromedp.CaptureScreenshot())
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	run(t, ctx, chromedp.EmulateViewport(1280, 1180), chromedp.Navigate(base+"/"))
	waitFor(t, ctx, "a description with its frame", `!document.getElementById('frame-img').hidden && document.getElementById('frame-img').complete`)
	run(t, ctx, chromedp.Click(chromedp.Search(`//button[contains(normalize-space(.), "Describe")]`)))
	waitFor(t, ctx, "the describe reply", `document.getElementById('ack').textContent.startsWith('Described')`)
	run(t, ctx, chromedp.Focus(chromedp.CSS(`button[data-command="repeat"]`)))
	shoot("web-page.png")

	transparent := cdp.Command[map[string]any, cdp.Empty]{Method: emulation.CommandSetDefaultBackgroundColorOverride}
	run(t, ctx, chromedp.EmulateViewport(1280, 720), chromedp.Navigate(base+"/overlay?linger=60&size=44"),
		cdpCall(transparent, map[string]any{"color": map[string]any{"r": 0, "g": 0, "b": 0, "a": 0}}))
	deadline := time.Now().Add(30 * time.Second)
	for !eval[bool](t, ctx, `document.querySelectorAll('.line').length >= 1`) {
		if time.Now().After(deadline) {
			t.Fatal("no caption on the overlay within 30s")
		}
		time.Sleep(200 * time.Millisecond)
	}
	shoot("web-overlay.png")
}
