package announce

import (
	"slices"
	"testing"
	"time"
)

var fixedNow = time.Date(2026, 11, 25, 20, 22, 10, 0, time.UTC)

func texts(as []Announcement) []string {
	var out []string
	for _, a := range as {
		out = append(out, a.Text)
	}
	return out
}

func TestStartupAnnouncements(t *testing.T) {
	heuristic := &Describer{Backend: "heuristic", Fallback: true}
	for _, c := range []struct {
		name string
		s    Startup
		want []string
	}{
		{"no camera, no model, espeak", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "auto", Demo: true}}, Describer: heuristic,
			Speech: Speech{Mode: SpeechAudio, Synthesizer: "espeak-ng"},
		}, []string{
			"No camera found, so narrating the demo scene instead.",
			"No model found, so describing with the heuristic describer, which is not a model.",
			"Narrating the demo scene, a generated picture and not a camera; described by the heuristic describer, which is not a model; spoken by espeak-ng.",
		}},
		{"demo asked for is no fallback", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "demo", Demo: true}}, Describer: &Describer{Backend: "heuristic"},
			Speech: Speech{Mode: SpeechText},
		}, []string{
			"Narrating the demo scene, a generated picture and not a camera; described by the heuristic describer, which is not a model; printed, not spoken.",
		}},
		{"camera and a model, named voice", Startup{
			Sources:   []Source{{Camera: "cam0", Spec: "auto"}},
			Describer: &Describer{Backend: "mlx", Model: "mlx-community/FastVLM-0.5B-bf16", IsModel: true},
			Speech:    Speech{Mode: SpeechAudio, Synthesizer: "espeak-ng", Voice: "en-gb"},
		}, []string{"Narrating the first camera; described by the model FastVLM 0.5B bf16; spoken by espeak-ng in voice en-gb."}},
		{"text reader", Startup{
			Sources:   []Source{{Camera: "cam0", Spec: "demo", Demo: true}},
			Describer: &Describer{Backend: "ocr", Model: "tesseract 5.3.0 eng", IsModel: true},
			Speech:    Speech{Mode: SpeechText},
		}, []string{"Narrating the demo scene, a generated picture and not a camera; described by the text reader, which reads printed text aloud and does not describe scenes; printed, not spoken."}},
		{"file, ollama, piper voice", Startup{
			Sources:   []Source{{Camera: "cam0", Spec: "file:/home/ann/page.png"}},
			Describer: &Describer{Backend: "openai", Model: "qwen2.5vl:3b", IsModel: true},
			Speech:    Speech{Mode: SpeechAudio, Synthesizer: "piper", Voice: "/voices/en_GB-alba-medium.onnx"},
		}, []string{"Narrating the file page.png; described by the model qwen2.5vl 3b; spoken by piper in voice en_GB-alba-medium."}},
		{"device fell back to text", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "test"}}, Describer: &Describer{Backend: "heuristic"},
			Speech: Speech{Mode: SpeechText, Fallback: FallbackDevice},
		}, []string{
			"The audio device did not work, so speech is printed instead.",
			"Narrating the test pattern, not a camera; described by the heuristic describer, which is not a model; printed, not spoken.",
		}},
		{"voice fell back to text", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "test"}}, Describer: &Describer{Backend: "heuristic"},
			Speech: Speech{Mode: SpeechText, Voice: "xx-klingon", Fallback: FallbackVoice},
		}, []string{
			"The voice xx-klingon was not found, so speech is printed instead.",
			"Narrating the test pattern, not a camera; described by the heuristic describer, which is not a model; printed, not spoken.",
		}},
		{"device fell back to say", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "camera:FaceTime HD Camera"}}, Describer: &Describer{Backend: "mlx", Model: "FastVLM", IsModel: true},
			Speech: Speech{Mode: SpeechSay, Synthesizer: "say", Voice: "Samantha", Fallback: FallbackDevice},
		}, []string{
			"The audio device did not work, so speaking with macOS say instead.",
			"Narrating camera FaceTime HD Camera; described by the model FastVLM; spoken by macOS say in voice Samantha.",
		}},
		{"two cameras, a stream's address is never said", Startup{
			Sources:   []Source{{Camera: "door", Spec: "rtsp://user:secret@192.168.1.20/stream1"}, {Camera: "desk", Spec: "camera"}},
			Describer: &Describer{Backend: "openai", IsModel: true},
			Speech:    Speech{Mode: SpeechAudio, Synthesizer: "espeak-ng"},
		}, []string{"Narrating 2 cameras: door from a network stream, desk from the first camera; described by the model openai; spoken by espeak-ng."}},
		{"a speak process knows only its speech", Startup{Speech: Speech{Mode: SpeechAudio, Synthesizer: "espeak-ng"}},
			[]string{"Saying the narration from the bus, spoken by espeak-ng."}},
		{"folder", Startup{
			Sources: []Source{{Camera: "cam0", Spec: "dir:/srv/photos/"}}, Describer: &Describer{Backend: "heuristic"},
			Speech: Speech{Mode: SpeechNone},
		}, []string{"Narrating the pictures in folder photos; described by the heuristic describer, which is not a model; not spoken."}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got := texts(c.s.Announcements())
			if !slices.Equal(got, c.want) {
				t.Fatalf("announcements:\n got %q\nwant %q", got, c.want)
			}
		})
	}
}

func FuzzSourceName(f *testing.F) {
	for _, s := range []string{"auto", "demo", "test", "camera", "camera:1", "file:a/b.png", "dir:x/", "rtsp://u:p@h/s", "https://h/x.m3u8", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, spec string) {
		name := SourceName(Source{Spec: spec})
		if name == "" {
			t.Fatalf("SourceName(%q) is empty", spec)
		}
		if (len(spec) > 6 && spec[:4] == "rtsp") || (len(spec) > 5 && spec[:4] == "http") {
			if name != phrase(SourceStream) {
				t.Fatalf("SourceName(%q) = %q: a stream's address (and password) must not be said", spec, name)
			}
		}
	})
}
