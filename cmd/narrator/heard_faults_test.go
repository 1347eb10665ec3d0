package main

import (
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// These tests hear faults announced (issue: "understand every silence by ear"): real speech
// into the null sink, recorded from its monitor, with the speech events as the oracle (see
// spoken_audio_test.go).

// heardAnnouncement waits for the announcement containing text to be said, checks it is an
// announcement on topic and that the sink carried speech while it played, and returns when
// it started.
func heardAnnouncement(t *testing.T, log *speechLog, rec *ear, text, topic string) time.Time {
	t.Helper()
	started, finished := log.said(t, text, 2*time.Minute)
	if started.Kind != bus.KindAnnouncement || started.Topic != topic {
		t.Errorf("%q: kind %q topic %q, want an announcement on %s", text, started.Kind, started.Topic, topic)
	}
	heardSpeech(t, rec, started, finished)
	return started.At
}

// TestHeardModelServerDownAndBack: killing the model server mid-run is heard as the model
// going down with the heuristic standing in, and its return as the model back.
func TestHeardModelServerDownAndBack(t *testing.T) {
	sink := earSink(t)
	rec := listen(t, sink)
	front := newModelFront(t)
	var log speechLog
	cmd := exec.Command(binary, "run", "--source", "demo", "--backend", "openai", "--openai-url", "http://"+front.addr,
		"--speech", "portaudio", "--rate", "320", "--json", "--mode", "ondemand")
	cmd.Stdout = &log
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("narrator stderr:\n%s", truncate(stderr.String(), 20000))
		}
	})
	log.said(t, "Narrating the demo scene", 2*time.Minute) // the start-up summary is over
	killed := time.Now()
	front.kill()
	downAt := heardAnnouncement(t, &log, rec, "The model stopped answering, so the heuristic describer, which is not a model, describes until it is back.", bus.TopicModelDown)
	restarted := time.Now()
	front.start()
	backAt := heardAnnouncement(t, &log, rec, "The model is back.", bus.TopicModelBack)
	t.Logf("heard: model down %s after the server was killed, back %s after it was restarted",
		downAt.Sub(killed).Round(10*time.Millisecond), backAt.Sub(restarted).Round(10*time.Millisecond))
}

// TestHeardCameraLostAndBack: killing the ffmpeg process that reads a file: source is heard as
// "Camera lost, trying again.", and its reopening as "Camera back.".
func TestHeardCameraLostAndBack(t *testing.T) {
	sink := earSink(t)
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		t.Fatal("ffmpeg is needed (scripts/install-deps installs it)")
	}
	rec := listen(t, sink)
	clip := filepath.Join(t.TempDir(), "clip.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc2=size=320x240:rate=10", "-t", "20", "-pix_fmt", "yuv420p", clip).CombinedOutput(); err != nil {
		t.Fatalf("make the clip: %v\n%s", err, out)
	}
	var log speechLog
	cmd := exec.Command(binary, "run", "--source", "file:"+clip, "--loop", "--backend", "heuristic",
		"--speech", "portaudio", "--rate", "320", "--json", "--mode", "ondemand")
	cmd.Stdout = &log
	var stderr lockedBuffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("narrator stderr:\n%s", truncate(stderr.String(), 20000))
		}
	})
	log.said(t, "Narrating the file", 2*time.Minute)
	var ffmpeg int
	for pid, line := range children(cmd.Process.Pid) {
		if strings.Contains(line, "ffmpeg") {
			ffmpeg = pid
		}
	}
	if ffmpeg == 0 {
		t.Fatalf("no ffmpeg child of the narrator: %v", children(cmd.Process.Pid))
	}
	killed := time.Now()
	if err := syscall.Kill(ffmpeg, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	lostAt := heardAnnouncement(t, &log, rec, "Camera lost, trying again.", bus.TopicCameraLost)
	backAt := heardAnnouncement(t, &log, rec, "Camera back.", bus.TopicCameraBack)
	t.Logf("heard: camera lost %s after ffmpeg was killed, back %s after", lostAt.Sub(killed).Round(10*time.Millisecond), backAt.Sub(killed).Round(10*time.Millisecond))
}
