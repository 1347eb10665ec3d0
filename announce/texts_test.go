package announce

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

// textCases pins every text of the table, filled with example arguments: what is heard.
var textCases = []struct {
	id   ID
	args []any
	want string
}{
	{StartupSummary, []any{"the first camera", "the model FastVLM 0.5B", "spoken by espeak-ng"}, "Narrating the first camera; described by the model FastVLM 0.5B; spoken by espeak-ng."},
	{StartupSpeech, []any{"spoken by espeak-ng"}, "Saying the narration from the bus, spoken by espeak-ng."},
	{SourceDemo, nil, "the demo scene, a generated picture and not a camera"},
	{SourceTest, nil, "the test pattern, not a camera"},
	{SourceFirstCamera, nil, "the first camera"},
	{SourceCameraNamed, []any{"Integrated Webcam"}, "camera Integrated Webcam"},
	{SourceFile, []any{"page.png"}, "the file page.png"},
	{SourceFolder, []any{"photos"}, "the pictures in folder photos"},
	{SourceStream, nil, "a network stream"},
	{SourceSeveral, []any{2, "door from a network stream, desk from the first camera"}, "2 cameras: door from a network stream, desk from the first camera"},
	{SourceNamed, []any{"door", "a network stream"}, "door from a network stream"},
	{DescriberHeuristic, nil, "the heuristic describer, which is not a model"},
	{DescriberModel, []any{"qwen2.5vl 3b"}, "the model qwen2.5vl 3b"},
	{DescriberText, nil, "the text reader, which reads printed text aloud and does not describe scenes"},
	{VoiceSpoken, []any{"espeak-ng"}, "spoken by espeak-ng"},
	{VoiceNamed, []any{"espeak-ng", "en-gb"}, "spoken by espeak-ng in voice en-gb"},
	{VoiceText, nil, "printed, not spoken"},
	{VoiceNone, nil, "not spoken"},
	{FallbackNoCamera, nil, "No camera found, so narrating the demo scene instead."},
	{FallbackNoModel, nil, "No model found, so describing with the heuristic describer, which is not a model."},
	{FallbackDeviceSay, nil, "The audio device did not work, so speaking with macOS say instead."},
	{FallbackDeviceText, nil, "The audio device did not work, so speech is printed instead."},
	{FallbackVoiceText, []any{"xx-klingon"}, "The voice xx-klingon was not found, so speech is printed instead."},
	{FallbackSynthText, nil, "No speech synthesizer was found, so speech is printed instead."},
	{FallbackSpeechText, nil, "Speech did not work, so it is printed instead."},
	{FallbackSpeechSay, nil, "Speech did not work, so speaking with macOS say instead."},
	{ModelReady, nil, "The model is ready."},
	{ModelDown, nil, "The model stopped answering; trying again."},
	{ModelFailed, nil, "The model cannot start. Run narrator doctor to find out why."},
	{ModelBack, nil, "The model is back."},
	{ModelDownStandIn, nil, "The model stopped answering, so the heuristic describer, which is not a model, describes until it is back."},
	{ModelStandIn, nil, "Meanwhile the heuristic describer, which is not a model, describes, and the model is tried again."},
	{CameraLost, nil, "Camera lost, trying again."},
	{CameraLostNamed, []any{"door"}, "Camera door lost, trying again."},
	{CameraBack, nil, "Camera back."},
	{CameraBackNamed, []any{"door"}, "Camera door back."},
	{CameraEnded, nil, "End of the file."},
	{CameraEndedNamed, []any{"door"}, "End of the file for door."},
	{SpeechFailed, nil, "Speech output failed."},
	{SpeechToText, nil, "Speech output failed, so speech is printed instead."},
	{SpeechToSay, nil, "Speech output failed, so speaking with macOS say instead."},
	{SpeechToOther, nil, "Speech output failed, so speaking on another output."},
	{SpeechBack, nil, "Speech output is back."},
	{CutShort, []any{"30 seconds"}, "Stopped after waiting 30 seconds, before everything was said."},
	{AckDescribe, nil, "Looking."},
	{AckAsk, nil, "Asking."},
	{AckRead, nil, "Reading."},
	{AckAskHeuristic, nil, "Not a model, so describing instead of answering."},
	{AckPause, nil, "Paused."},
	{AckResume, nil, "Resumed."},
	{AckStop, nil, "Stopped."},
	{AckMoreDetail, nil, "More detail."},
	{AckLessDetail, nil, "Less detail."},
	{AckMostDetail, nil, "Already the most detail."},
	{AckLeastDetail, nil, "Already the least detail."},
	{AckDetail, []any{"short"}, "Detail short."},
	{AckRate, []any{195}, "Rate 195 words a minute."},
	{AckVolume, []any{80}, "Volume 80 percent."},
	{AckModeNarrate, nil, "Narrating everything new."},
	{AckModeChanges, nil, "Saying only changes."},
	{AckModeOnDemand, nil, "Speaking only when asked."},
	{AckQuit, nil, "Goodbye."},
	{AckNothingToRepeat, nil, "Nothing to repeat yet."},
	{AckNoPicture, nil, "No picture yet."},
	{AckNoDescriber, nil, "Nothing is describing pictures right now."},
	{AckNoReader, nil, "Text reading is off."},
	{AckBusy, nil, "Busy, try again."},
	{AckNoSpeechSettings, nil, "Rate and volume cannot be changed with this speech output."},
	{AckFailed, nil, "That did not work."},
	{Help, nil, "Keys: space, describe now. R, repeat. T, read text. P, pause or resume. Plus or minus, more or less detail. Period or comma, faster or slower. Right or left bracket, louder or quieter. Question mark, this help. Q, quit."},
}

func TestEveryText(t *testing.T) {
	seen := map[ID]bool{}
	for _, c := range textCases {
		seen[c.id] = true
		a := Make(c.id, c.args...)
		if strings.Contains(a.Text, "%!") {
			t.Errorf("%s: %q: the arguments do not fit the format", c.id, a.Text)
		}
		if a.Text != c.want {
			t.Errorf("%s = %q, want %q", c.id, a.Text, c.want)
		}
		if a.Topic != Texts[c.id].Topic || a.Problem != Texts[c.id].Problem {
			t.Errorf("%s: topic %q problem %v, want the table's", c.id, a.Topic, a.Problem)
		}
	}
	for id := range Texts {
		if !seen[id] {
			t.Errorf("text %s has no case in textCases: pin what is heard", id)
		}
	}
}

// jargon is what a listener should never hear: flags, ids, paths, subjects, log words.
var jargon = regexp.MustCompile(`--|_|/|\bnarrator\.v1|\bid\b|\bcam0\b|\bframe\b|\bbackend\b|\bstage\b|\bheuristic\b \(|[{}<>]|\bnil\b|\berr\b`)

func TestTextsArePlainWords(t *testing.T) {
	for id, tx := range Texts {
		if jargon.MatchString(tx.Format) {
			t.Errorf("%s: %q has jargon (%q)", id, tx.Format, jargon.FindString(tx.Format))
		}
		if tx.Topic != "" && !strings.HasSuffix(tx.Format, ".") {
			t.Errorf("%s: %q is said on its own and must end a sentence", id, tx.Format)
		}
		if tx.Topic == "" && strings.HasSuffix(tx.Format, ".") {
			t.Errorf("%s: %q is a phrase inside a sentence and must not end one", id, tx.Format)
		}
		if n := len(strings.Fields(tx.Format)); n > 40 {
			t.Errorf("%s: %d words; announcements are short", id, n)
		}
	}
}

// TestAccessibilityDocListsEveryText keeps docs/accessibility.md in step with the table: every
// text said on its own is quoted there.
func TestAccessibilityDocListsEveryText(t *testing.T) {
	raw, err := os.ReadFile("../docs/accessibility.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := strings.Join(strings.Fields(string(raw)), " ")
	verb := regexp.MustCompile(`%[sdv]`)
	for id, tx := range Texts {
		if tx.Topic == "" {
			continue
		}
		parts := verb.Split(tx.Format, -1)
		for i := range parts {
			parts[i] = regexp.QuoteMeta(parts[i])
		}
		if !regexp.MustCompile(strings.Join(parts, `[^"|]+?`)).MatchString(doc) {
			t.Errorf("docs/accessibility.md does not quote %s: %q", id, tx.Format)
		}
	}
}

func TestMakeUnknown(t *testing.T) {
	a := Make("no_such_text")
	if !strings.Contains(a.Text, "no_such_text") {
		t.Fatalf("Make(unknown) = %q, want it named", a.Text)
	}
}

func TestUtterance(t *testing.T) {
	a := Make(CameraLost)
	u := a.Utterance(fixedNow)
	if u.Kind != bus.KindAnnouncement || u.Priority != bus.PriorityAnnouncement || u.Topic != bus.TopicCameraLost || u.Text != a.Text || u.ID == "" {
		t.Fatalf("utterance = %+v", u)
	}
	if !u.NotAfter.Equal(fixedNow.Add(DefaultTTL)) {
		t.Fatalf("not_after = %s, want created + %s", u.NotAfter, DefaultTTL)
	}
}

var levelCases = []struct {
	in   string
	want Level
	ok   bool
}{
	{"all", All, true}, {"errors", Errors, true}, {"none", None, true}, {" ERRORS ", Errors, true},
	{"", All, false}, {"some", All, false}, {"error", All, false},
}

func TestParseLevel(t *testing.T) {
	for _, c := range levelCases {
		got, err := ParseLevel(c.in)
		if (err == nil) != c.ok || (c.ok && got != c.want) {
			t.Errorf("ParseLevel(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.want, c.ok)
		}
		if c.ok && got.String() != strings.ToLower(strings.TrimSpace(c.in)) {
			t.Errorf("%v.String() = %q", got, got.String())
		}
	}
}

func FuzzParseLevel(f *testing.F) {
	for _, c := range levelCases {
		f.Add(c.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		l, err := ParseLevel(s)
		if err == nil {
			if again, err := ParseLevel(l.String()); err != nil || again != l {
				t.Fatalf("%q parsed as %v, which does not round-trip", s, l)
			}
		} else if !strings.Contains(err.Error(), "all, errors or none") {
			t.Fatalf("error %q does not say what to use", err)
		}
	})
}

func TestLevelAllows(t *testing.T) {
	for _, c := range []struct {
		level Level
		id    ID
		want  bool
	}{
		{All, StartupSummary, true}, {All, CameraLost, true}, {All, AckPause, true},
		{Errors, StartupSummary, false}, {Errors, ModelReady, false}, {Errors, CameraEnded, false},
		{Errors, FallbackNoCamera, true}, {Errors, ModelDown, true}, {Errors, ModelBack, true}, {Errors, CameraBack, true},
		{Errors, AckMoreDetail, true}, {Errors, Help, true},
		{None, CameraLost, false}, {None, FallbackNoModel, false}, {None, StartupSummary, false},
		{None, AckQuit, true}, {None, Help, true}, {None, AckNothingToRepeat, true},
	} {
		if got := c.level.Allows(Make(c.id)); got != c.want {
			t.Errorf("%v allows %s = %v, want %v", c.level, c.id, got, c.want)
		}
	}
}
