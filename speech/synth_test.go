package speech

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// standIns puts the stand-in say and piper of testdata/bin first on PATH.
func standIns(t *testing.T) string {
	t.Helper()
	bin, err := filepath.Abs("testdata/bin")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", bin+string(os.PathListSeparator)+os.Getenv("PATH"))
	log := filepath.Join(t.TempDir(), "log")
	t.Setenv("SAY_LOG", log)
	t.Setenv("PIPER_LOG", log)
	return log
}

func readFile(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func needESpeak(t testing.TB) *ESpeak {
	t.Helper()
	e, err := NewESpeak("en-us", 175)
	if err != nil {
		t.Skipf("%v (scripts/install-deps installs it)", err)
	}
	return e
}

func TestESpeakSynthesizes(t *testing.T) {
	e := needESpeak(t)
	p, err := e.Synthesize(context.Background(), "A red cup is on the table.")
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != 22050 {
		t.Fatalf("rate %d, want 22050", p.Rate)
	}
	if d := p.Duration(); d < 500*time.Millisecond || d > 5*time.Second {
		t.Fatalf("a short sentence lasts %s", d)
	}
	if rms(p.Samples) < 300 {
		t.Fatalf("speech is nearly silent: rms %.0f", rms(p.Samples))
	}
	fast := &ESpeak{Binary: "espeak-ng", Voice: "en-us", Rate: 350}
	q, err := fast.Synthesize(context.Background(), "A red cup is on the table.")
	if err != nil {
		t.Fatal(err)
	}
	if q.Duration() >= p.Duration() {
		t.Fatalf("rate 350 lasts %s, not shorter than rate 175's %s", q.Duration(), p.Duration())
	}
}

func TestESpeakBadVoiceIsAnError(t *testing.T) {
	needESpeak(t)
	_, err := NewESpeak("no-such-voice", 175)
	if err == nil || !strings.Contains(err.Error(), `no voice "no-such-voice"`) {
		t.Fatalf("err %v, want an unknown voice error", err)
	}
	for _, ok := range []string{"en-us", "en-US+f3", "English_(America)", "gmw/en-US"} {
		if _, err := NewESpeak(ok, 175); err != nil {
			t.Errorf("voice %q: %v", ok, err)
		}
	}
}

func TestSayFileStandIn(t *testing.T) {
	log := standIns(t)
	wav := filepath.Join(t.TempDir(), "tone.wav")
	if err := os.WriteFile(wav, EncodeWAV(EarconPCM(EarconReady, 22050)), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("SAY_WAV", wav)
	s, err := NewSayFile("Samantha", 200)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Synthesize(context.Background(), "-v is not an option here")
	if err != nil {
		t.Fatal(err)
	}
	if p.Rate != 22050 || len(p.Samples) != len(EarconPCM(EarconReady, 22050).Samples) {
		t.Fatalf("got %d Hz, %d samples", p.Rate, len(p.Samples))
	}
	args := readFile(t, log+".args")
	for _, want := range []string{"--data-format=LEI16@22050", "--file-format=WAVE", "-v Samantha", "-r 200", "-o "} {
		if !strings.Contains(args, want) {
			t.Fatalf("say called with %q, missing %q", args, want)
		}
	}
	if got := readFile(t, log+".text"); got != "-v is not an option here\n" {
		t.Fatalf("say got text %q on stdin", got)
	}
}

func TestPiperStandIn(t *testing.T) {
	log := standIns(t)
	dir := t.TempDir()
	raw := filepath.Join(dir, "out.raw")
	if err := os.WriteFile(raw, EncodeWAV(EarconPCM(EarconPaused, 16000))[44:], 0o644); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PIPER_RAW", raw)
	model := filepath.Join(dir, "en_US-test-low.onnx")
	if err := os.WriteFile(model, []byte("model"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(model+".json", []byte(`{"audio": {"sample_rate": 16000}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if !IsPiperModel(model) || IsPiperModel("en-us") {
		t.Fatal("IsPiperModel")
	}
	s, err := bestSynth(model, 350)
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Synthesize(context.Background(), "hello")
	if err != nil {
		t.Fatal(err)
	}
	if s.Name() != "piper" || p.Rate != 16000 || len(p.Samples) != len(EarconPCM(EarconPaused, 16000).Samples) {
		t.Fatalf("%s: %d Hz, %d samples", s.Name(), p.Rate, len(p.Samples))
	}
	if args := readFile(t, log+".args"); !strings.Contains(args, "--model "+model+" --output_raw --length_scale 0.500") {
		t.Fatalf("piper called with %q", args)
	}
	if _, err := NewPiper(filepath.Join(dir, "missing.onnx"), 0); err == nil {
		t.Fatal("a missing model was accepted")
	}
}

func TestSayPlaysAndIsKilledOnInterrupt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks processes through /proc")
	}
	log := standIns(t)
	s, err := NewSay("Alex", 180, "External")
	if err != nil {
		t.Fatal(err)
	}
	clip, err := s.Prepare(context.Background(), "hello there")
	if err != nil {
		t.Fatal(err)
	}
	if err := clip.Play(context.Background()); err != nil {
		t.Fatal(err)
	}
	if args := readFile(t, log+".args"); args != "-v Alex -r 180 -a External\n" {
		t.Fatalf("say called with %q", args)
	}

	t.Setenv("SAY_HOLD", "30")
	ctx, cancel := context.WithCancelCause(context.Background())
	done := make(chan error, 1)
	go func() { done <- clip.Play(ctx) }()
	var child int
	bustest.Eventually(t, 5*time.Second, "say's child started", func() bool {
		b, err := os.ReadFile(log + ".child")
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && child > 0
	})
	stop := errors.New("stop")
	cancel(stop)
	if err := <-done; !errors.Is(err, stop) {
		t.Fatalf("Play returned %v, want the interruption", err)
	}
	bustest.Eventually(t, 5*time.Second, "say's child killed with its group", func() bool { return !alive(child) })
}

// alive reports whether pid is a running (not zombie) process.
func alive(pid int) bool {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return false
	}
	f := bytes.Fields(b[bytes.LastIndexByte(b, ')')+1:])
	return len(f) > 0 && string(f[0]) != "Z"
}

func TestOpenModes(t *testing.T) {
	standIns(t)
	var out bytes.Buffer
	ctx := context.Background()
	sp, err := Open(ctx, Options{Mode: ModeNone, Logger: quiet})
	if err != nil || sp != nil {
		t.Fatalf("none: %v %v", sp, err)
	}
	sp, err = Open(ctx, Options{Mode: ModeText, Text: &out, Logger: quiet})
	if err != nil || sp.Name() != "text" {
		t.Fatalf("text: %v %v", sp, err)
	}
	clip, _ := sp.Prepare(ctx, "hello")
	if err := clip.Play(ctx); err != nil || out.String() != "» hello\n" {
		t.Fatalf("text printed %q, %v", out.String(), err)
	}
	sp, err = Open(ctx, Options{Mode: ModeSay, Logger: quiet})
	if err != nil || sp.Name() != "say" {
		t.Fatalf("say with say on PATH: %v %v", sp, err)
	}
	if _, err := Open(ctx, Options{Mode: "loud", Logger: quiet}); err == nil {
		t.Fatal("unknown mode accepted")
	}
	if _, err := Open(ctx, Options{Mode: ModeText, Volume: -1, Logger: quiet}); err == nil {
		t.Fatal("negative volume accepted")
	}
}

func TestOpenFallsBackAndSaysWhy(t *testing.T) {
	// No synthesizer and no say on PATH: portaudio falls back to text, with a warning.
	t.Setenv("PATH", t.TempDir())
	var logs bytes.Buffer
	sp, err := Open(context.Background(), Options{Mode: ModePortAudio, Logger: slogTo(&logs)})
	if err != nil {
		t.Fatal(err)
	}
	if sp.Name() != "text" {
		t.Fatalf("fell back to %s, want text", sp.Name())
	}
	if !strings.Contains(logs.String(), "espeak-ng is not installed") || !strings.Contains(logs.String(), "printing what would be said") {
		t.Fatalf("fallback not explained: %s", logs.String())
	}
	if _, err := exec.LookPath("say"); err == nil {
		t.Fatal("PATH still finds say")
	}
}

// benchSentence is a typical narration.
const benchSentence = "A person in a red jacket walks in from the left and sits down at the table."

// availableSynths returns the synthesizers installed here: espeak-ng, macOS say, and Piper when
// NARRATOR_PIPER_MODEL names a voice model.
func availableSynths(b *testing.B) []Synthesizer {
	var out []Synthesizer
	if e, err := NewESpeak("en-us", DefaultRate); err == nil {
		out = append(out, e)
	} else {
		b.Logf("not benchmarked: %v", err)
	}
	if s, err := NewSayFile("", DefaultRate); err == nil {
		out = append(out, s)
	} else {
		b.Logf("not benchmarked: %v", err)
	}
	if p, err := NewPiper(os.Getenv("NARRATOR_PIPER_MODEL"), DefaultRate); err == nil {
		out = append(out, p)
	} else {
		b.Logf("not benchmarked: %v (set NARRATOR_PIPER_MODEL to a voice model)", err)
	}
	return out
}

// BenchmarkSynthesize is how long each synthesizer takes to turn a sentence into PCM.
func BenchmarkSynthesize(b *testing.B) {
	for _, s := range availableSynths(b) {
		b.Run(s.Name(), func(b *testing.B) {
			var audio time.Duration
			for b.Loop() {
				p, err := s.Synthesize(context.Background(), benchSentence)
				if err != nil {
					b.Fatal(err)
				}
				audio = p.Duration()
			}
			b.ReportMetric(audio.Seconds(), "audio-s")
		})
	}
}

func TestStageWithSayStopKillsIt(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("checks processes through /proc")
	}
	log := standIns(t)
	t.Setenv("SAY_HOLD", "30")
	s, err := NewSay("", 0, "")
	if err != nil {
		t.Fatal(err)
	}
	h := startStage(t, Config{Speaker: s})
	h.say("u1", "a long description", bus.PriorityNormal, time.Minute)
	h.expect("u1", bus.SpeechStarted, "")
	var child int
	bustest.Eventually(t, 5*time.Second, "say speaking", func() bool {
		b, err := os.ReadFile(log + ".child")
		child, _ = strconv.Atoi(strings.TrimSpace(string(b)))
		return err == nil && child > 0
	})
	h.control(bus.SpeechStop)
	h.expect("u1", bus.SpeechInterrupted, bus.ReasonStopped)
	bustest.Eventually(t, 5*time.Second, "say's process group killed", func() bool { return !alive(child) })
	if got := readFile(t, log+".text"); got != "a long description\n" {
		t.Fatalf("say was given %q", got)
	}
}
