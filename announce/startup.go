package announce

import (
	"path/filepath"
	"strings"

	"github.com/narrator-dev/narrator/bus"
)

// Source is one camera's source as chosen at start.
type Source struct {
	Camera string // the camera's bus name
	Spec   string // the --source value, e.g. "auto", "file:page.png", "rtsp://…"
	// Demo is true when the source is the generated demo scene (asked for, or the fallback of
	// auto when no camera was found).
	Demo bool
}

// Describer is the describer chosen at start.
type Describer struct {
	Backend string // "heuristic", "mlx", "openai", "ocr"
	Model   string // model id, empty for none
	IsModel bool
	// Fallback is true when a model was looked for (--backend auto) and none was found.
	Fallback bool
}

// Speech is the speech output chosen at start.
type Speech struct {
	// Mode is "audio" (a synthesizer played through the audio device), "say", "text" or "none".
	Mode        string
	Synthesizer string // "espeak-ng", "piper", "say"; for audio and say
	Voice       string // the voice asked for, empty for the synthesizer's default
	// Fallback is set when the speech asked for did not work: FallbackDevice, FallbackVoice,
	// FallbackSynth or FallbackOther.
	Fallback string
}

// Why the speech output fell back.
const (
	FallbackDevice = "device" // the audio device was not found or failed its check
	FallbackVoice  = "voice"  // the voice is not installed
	FallbackSynth  = "synth"  // no synthesizer is installed
	FallbackOther  = "other"
)

// Speech modes.
const (
	SpeechAudio = "audio"
	SpeechSay   = "say"
	SpeechText  = "text"
	SpeechNone  = "none"
)

// Startup is what a process chose at start. Sources and Describer are nil in a process that
// does not capture or describe (narrator speak).
type Startup struct {
	Sources   []Source
	Describer *Describer
	Speech    Speech
}

// Announcements are the start-up announcements, in order: each fallback with its reason, then
// the one-sentence summary.
func (s Startup) Announcements() []Announcement {
	var out []Announcement
	for _, src := range s.Sources {
		if src.Demo && isAuto(src.Spec) {
			out = append(out, Make(FallbackNoCamera))
			break
		}
	}
	if s.Describer != nil && s.Describer.Fallback {
		out = append(out, Make(FallbackNoModel))
	}
	switch f := s.speechFallback(); f {
	case "":
	case FallbackVoiceText:
		out = append(out, Make(f, plainVoice(s.Speech.Voice)))
	default:
		out = append(out, Make(f))
	}
	voice := s.voicePhrase()
	if s.Sources == nil || s.Describer == nil {
		return append(out, Make(StartupSpeech, voice))
	}
	return append(out, Make(StartupSummary, sourcesPhrase(s.Sources), describerPhrase(*s.Describer), voice))
}

func (s Startup) speechFallback() ID {
	text := s.Speech.Mode == SpeechText
	switch s.Speech.Fallback {
	case "":
		return ""
	case FallbackDevice:
		if text {
			return FallbackDeviceText
		}
		return FallbackDeviceSay
	case FallbackVoice:
		if text {
			return FallbackVoiceText
		}
		return FallbackSpeechSay
	case FallbackSynth:
		if text {
			return FallbackSynthText
		}
		return FallbackSpeechSay
	}
	if text {
		return FallbackSpeechText
	}
	return FallbackSpeechSay
}

func (s Startup) voicePhrase() string {
	switch s.Speech.Mode {
	case SpeechText:
		return phrase(VoiceText)
	case SpeechNone:
		return phrase(VoiceNone)
	}
	synth := s.Speech.Synthesizer
	if s.Speech.Mode == SpeechSay || synth == "say" {
		synth = "macOS say"
	}
	if v := plainVoice(s.Speech.Voice); v != "" {
		return phrase(VoiceNamed, synth, v)
	}
	return phrase(VoiceSpoken, synth)
}

// plainVoice is a voice as said: a Piper model file by its name, without folder and extension.
func plainVoice(v string) string {
	if strings.HasSuffix(strings.ToLower(v), ".onnx") {
		v = strings.TrimSuffix(filepath.Base(v), filepath.Ext(v))
	}
	return v
}

func sourcesPhrase(srcs []Source) string {
	if len(srcs) == 1 {
		return SourceName(srcs[0])
	}
	var names []string
	for _, s := range srcs {
		names = append(names, phrase(SourceNamed, s.Camera, SourceName(s)))
	}
	return phrase(SourceSeveral, len(srcs), strings.Join(names, ", "))
}

// SourceName says what a source is in plain words: never a URL (it may hold a password), a
// device path or an option name.
func SourceName(s Source) string {
	if s.Demo {
		return phrase(SourceDemo)
	}
	kind, arg, _ := strings.Cut(s.Spec, ":")
	switch kind {
	case "auto", "":
		return phrase(SourceFirstCamera)
	case "test":
		return phrase(SourceTest)
	case "camera":
		if arg == "" {
			return phrase(SourceFirstCamera)
		}
		return phrase(SourceCameraNamed, arg)
	case "file":
		return phrase(SourceFile, filepath.Base(arg))
	case "dir":
		return phrase(SourceFolder, filepath.Base(filepath.Clean(arg)))
	}
	return phrase(SourceStream)
}

func describerPhrase(d Describer) string {
	if d.Backend == bus.BackendOCR {
		return phrase(DescriberText)
	}
	if !d.IsModel {
		return phrase(DescriberHeuristic)
	}
	return phrase(DescriberModel, PlainModel(d.Model, d.Backend))
}

// PlainModel is a model id as said: without the publisher before a slash or a file's folder,
// with ':' and '-' read as spaces ("mlx-community/FastVLM-0.5B-bf16" is "FastVLM 0.5B bf16",
// "qwen2.5vl:3b" is "qwen2.5vl 3b"). An empty id is the backend's name.
func PlainModel(model, backend string) string {
	if model == "" {
		return backend
	}
	model = filepath.Base(strings.TrimRight(model, "/"))
	return strings.Join(strings.FieldsFunc(model, func(r rune) bool { return r == ':' || r == '-' || r == '_' }), " ")
}

func isAuto(spec string) bool { return spec == "" || spec == "auto" }

// String is the summary's text, for logs.
func (s Startup) String() string {
	var parts []string
	for _, a := range s.Announcements() {
		parts = append(parts, a.Text)
	}
	return strings.Join(parts, " ")
}
