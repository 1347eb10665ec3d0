package main

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// TestRunWebPageDescribesThroughTheNarrator runs the whole pipeline with --web and presses
// "describe" as the page does: the control reaches the real narrator, which asks the real
// inference stage, and the answer comes back to the page's event stream.
func TestRunWebPageDescribesThroughTheNarrator(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out lockedBuffer
	go func() {
		done <- run(ctx, []string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--web", addr, "--duration", "60s"}, &out, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	base := "http://" + addr
	client := &http.Client{Timeout: 5 * time.Second}
	bustest.Eventually(t, 10*time.Second, "the page to answer", func() bool {
		resp, err := client.Get(base + "/")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == http.StatusOK
	})
	if !strings.Contains(out.String(), "web: serving the live page") {
		t.Errorf("the start does not say where the page is:\n%s", out.String())
	}

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+"/events", nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	events := bufio.NewReader(resp.Body)

	var rep bus.ControlReply
	bustest.Eventually(t, 15*time.Second, "the narrator to accept describe", func() bool {
		r, err := client.Post(base+"/api/control", "application/json", strings.NewReader(`{"command":"describe"}`))
		if err != nil {
			return false
		}
		defer r.Body.Close()
		rep = bus.ControlReply{}
		return json.NewDecoder(r.Body).Decode(&rep) == nil && rep.OK
	})
	if rep.DescribeID == "" || rep.Mode != "narrate" {
		t.Fatalf("describe reply %+v", rep)
	}
	for {
		line, err := events.ReadString('\n')
		if err != nil {
			t.Fatalf("the stream ended before the answer: %v", err)
		}
		data, ok := strings.CutPrefix(strings.TrimSpace(line), "data: ")
		if !ok {
			continue
		}
		var d struct {
			RequestID string `json:"request_id"`
			Text      string `json:"text"`
			Backend   string `json:"backend"`
		}
		if json.Unmarshal([]byte(data), &d) != nil || d.RequestID != rep.DescribeID {
			continue
		}
		if d.Text == "" || d.Backend != "heuristic" {
			t.Fatalf("answer %+v", d)
		}
		break
	}

	r, err := client.Get(base + "/captions.vtt")
	if err != nil {
		t.Fatal(err)
	}
	vtt, _ := io.ReadAll(r.Body)
	r.Body.Close()
	if !strings.HasPrefix(string(vtt), "WEBVTT") || !strings.Contains(string(vtt), "demo scene") {
		t.Errorf("captions.vtt lacks the start-up line:\n%s", vtt)
	}
}

func TestWebBeyondLoopbackNeedsAToken(t *testing.T) {
	var out lockedBuffer
	err := run(context.Background(), []string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--web", "0.0.0.0:0", "--duration", "1s"}, &out, &out)
	if err == nil || !strings.Contains(err.Error(), "--web-token") {
		t.Fatalf("--web 0.0.0.0:0 without a token: %v, want an error naming --web-token", err)
	}
	out = lockedBuffer{}
	err = run(context.Background(), []string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "none", "--keys=false", "--web", "0.0.0.0:0", "--token", "bus-secret", "--duration", "1s"}, &out, &out)
	if err != nil {
		t.Fatalf("--web beyond loopback with the bus token: %v", err)
	}
	if !strings.Contains(out.String(), "browsers must present the bus --token") || strings.Contains(out.String(), "bus-secret") {
		t.Errorf("the start must say the page needs the bus token, without printing it:\n%s", out.String())
	}
}

// TestRunWebCaptionsFollowAVoice: with a speech stage (here the text speaker), the page answers
// as fast and its captions come from the speech events.
func TestRunWebCaptionsFollowAVoice(t *testing.T) {
	addr := "127.0.0.1:" + freePort(t)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	var out lockedBuffer
	go func() {
		done <- run(ctx, []string{"run", "--source", "demo", "--backend", "heuristic", "--speech", "text", "--keys=false", "--web", addr, "--duration", "60s"}, &out, &out)
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	}()
	client := &http.Client{Timeout: 5 * time.Second}
	var snap struct {
		Status struct {
			CaptionsFrom  string `json:"captions_from"`
			SpeechBackend string `json:"speech_backend"`
		} `json:"status"`
		Captions []struct{ Text string } `json:"captions"`
	}
	bustest.Eventually(t, 15*time.Second, "a caption from the voice", func() bool {
		r, err := client.Get("http://" + addr + "/api/snapshot")
		if err != nil {
			return false
		}
		defer r.Body.Close()
		return json.NewDecoder(r.Body).Decode(&snap) == nil && len(snap.Captions) > 0
	})
	if snap.Status.CaptionsFrom != "speech" || snap.Status.SpeechBackend == "" || !strings.Contains(snap.Captions[0].Text, "demo scene") {
		t.Fatalf("snapshot %+v, want captions from the speech events, the start-up line first", snap)
	}
}
