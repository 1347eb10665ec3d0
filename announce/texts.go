// Package announce holds what the narrator says about itself, as opposed to what the camera
// sees: the start-up summary, every fallback and its reason, a model or camera going and coming
// back, speech failures, the spoken help and the acknowledgement of every key and control
// command. Every text is in one table (Texts), in short plain words without ids or jargon, so
// a person who cannot see the screen understands every choice and every silence by ear.
//
// Announcements travel as utterances of kind bus.KindAnnouncement with priority
// bus.PriorityAnnouncement; Stage publishes those it learns from bus events.
package announce

import (
	"fmt"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// ID names one text of the table.
type ID string

// Text is one entry of the table: what is said, about what, and whether it reports a problem
// (a fallback or a failure), which --announce errors keeps.
type Text struct {
	Topic   string // a bus.Topic* value; empty for a phrase that is part of another text
	Problem bool
	Format  string // fmt format; its verbs are filled by Make's arguments
}

// Texts is every text the narrator says about itself. docs/accessibility.md lists them all.
var Texts = map[ID]Text{
	// The start-up summary: one sentence, built from the phrases below.
	StartupSummary: {bus.TopicStartup, false, "Narrating %s; described by %s; %s."},
	StartupSpeech:  {bus.TopicStartup, false, "Saying the narration from the bus, %s."},

	SourceDemo:         {"", false, "the demo scene, a generated picture and not a camera"},
	SourceTest:         {"", false, "the test pattern, not a camera"},
	SourceFirstCamera:  {"", false, "the first camera"},
	SourceCameraNamed:  {"", false, "camera %s"},
	SourceFile:         {"", false, "the file %s"},
	SourceFolder:       {"", false, "the pictures in folder %s"},
	SourceStream:       {"", false, "a network stream"},
	SourceSeveral:      {"", false, "%d cameras: %s"},
	SourceNamed:        {"", false, "%s from %s"},
	DescriberHeuristic: {"", false, "the heuristic describer, which is not a model"},
	DescriberModel:     {"", false, "the model %s"},
	DescriberText:      {"", false, "the text reader, which reads printed text aloud and does not describe scenes"},
	VoiceSpoken:        {"", false, "spoken by %s"},
	VoiceNamed:         {"", false, "spoken by %s in voice %s"},
	VoiceText:          {"", false, "printed, not spoken"},
	VoiceNone:          {"", false, "not spoken"},

	// Fallbacks, said before the summary.
	FallbackNoCamera:    {bus.TopicFallback, true, "No camera found, so narrating the demo scene instead."},
	FallbackNoModel:     {bus.TopicFallback, true, "No model found, so describing with the heuristic describer, which is not a model."},
	FallbackDeviceSay:   {bus.TopicFallback, true, "The audio device did not work, so speaking with macOS say instead."},
	FallbackDeviceText:  {bus.TopicFallback, true, "The audio device did not work, so speech is printed instead."},
	FallbackVoiceText:   {bus.TopicFallback, true, "The voice %s was not found, so speech is printed instead."},
	FallbackSynthText:   {bus.TopicFallback, true, "No speech synthesizer was found, so speech is printed instead."},
	FallbackSpeechText:  {bus.TopicFallback, true, "Speech did not work, so it is printed instead."},
	FallbackSpeechSay:   {bus.TopicFallback, true, "Speech did not work, so speaking with macOS say instead."},
	ModelReady:          {bus.TopicModelReady, false, "The model is ready."},
	ModelDown:           {bus.TopicModelDown, true, "The model stopped answering; trying again."},
	ModelFailed:         {bus.TopicModelDown, true, "The model cannot start. Run narrator doctor to find out why."},
	ModelBack:           {bus.TopicModelBack, true, "The model is back."},
	ModelDownStandIn:    {bus.TopicModelDown, true, "The model stopped answering, so the heuristic describer, which is not a model, describes until it is back."},
	ModelStandIn:        {bus.TopicFallback, true, "Meanwhile the heuristic describer, which is not a model, describes, and the model is tried again."},
	CameraLost:          {bus.TopicCameraLost, true, "Camera lost, trying again."},
	CameraLostNamed:     {bus.TopicCameraLost, true, "Camera %s lost, trying again."},
	CameraBack:          {bus.TopicCameraBack, true, "Camera back."},
	CameraBackNamed:     {bus.TopicCameraBack, true, "Camera %s back."},
	CameraEnded:         {bus.TopicCameraEnded, false, "End of the file."},
	CameraEndedNamed:    {bus.TopicCameraEnded, false, "End of the file for %s."},
	SpeechFailed:        {bus.TopicSpeechFailed, true, "Speech output failed."},
	SpeechToText:        {bus.TopicSpeechFailed, true, "Speech output failed, so speech is printed instead."},
	SpeechToSay:         {bus.TopicSpeechFailed, true, "Speech output failed, so speaking with macOS say instead."},
	SpeechToOther:       {bus.TopicSpeechFailed, true, "Speech output failed, so speaking on another output."},
	SpeechBack:          {bus.TopicSpeechBack, true, "Speech output is back."},
	CutShort:            {bus.TopicCutShort, true, "Stopped after waiting %s, before everything was said."},
	AckDescribe:         {bus.TopicAck, false, "Looking."},
	AckAsk:              {bus.TopicAck, false, "Asking."},
	AckRead:             {bus.TopicAck, false, "Reading."},
	AckAskHeuristic:     {bus.TopicAck, false, "Not a model, so describing instead of answering."},
	AckPause:            {bus.TopicAck, false, "Paused."},
	AckResume:           {bus.TopicAck, false, "Resumed."},
	AckStop:             {bus.TopicAck, false, "Stopped."},
	AckMoreDetail:       {bus.TopicAck, false, "More detail."},
	AckLessDetail:       {bus.TopicAck, false, "Less detail."},
	AckMostDetail:       {bus.TopicAck, false, "Already the most detail."},
	AckLeastDetail:      {bus.TopicAck, false, "Already the least detail."},
	AckDetail:           {bus.TopicAck, false, "Detail %s."},
	AckRate:             {bus.TopicAck, false, "Rate %d words a minute."},
	AckVolume:           {bus.TopicAck, false, "Volume %d percent."},
	AckModeNarrate:      {bus.TopicAck, false, "Narrating everything new."},
	AckModeChanges:      {bus.TopicAck, false, "Saying only changes."},
	AckModeOnDemand:     {bus.TopicAck, false, "Speaking only when asked."},
	AckQuit:             {bus.TopicAck, false, "Goodbye."},
	AckNothingToRepeat:  {bus.TopicAck, true, "Nothing to repeat yet."},
	AckNoPicture:        {bus.TopicAck, true, "No picture yet."},
	AckNoDescriber:      {bus.TopicAck, true, "Nothing is describing pictures right now."},
	AckNoReader:         {bus.TopicAck, true, "Text reading is off."},
	AckBusy:             {bus.TopicAck, true, "Busy, try again."},
	AckNoSpeechSettings: {bus.TopicAck, true, "Rate and volume cannot be changed with this speech output."},
	AckFailed:           {bus.TopicAck, true, "That did not work."},
	Help:                {bus.TopicHelp, false, "Keys: space, describe now. R, repeat. T, read text. P, pause or resume. Plus or minus, more or less detail. Period or comma, faster or slower. Right or left bracket, louder or quieter. Question mark, this help. Q, quit."},
}

// Text ids, one per entry of Texts.
const (
	StartupSummary     ID = "startup"
	StartupSpeech      ID = "startup_speech"
	SourceDemo         ID = "source_demo"
	SourceTest         ID = "source_test"
	SourceFirstCamera  ID = "source_first_camera"
	SourceCameraNamed  ID = "source_camera_named"
	SourceFile         ID = "source_file"
	SourceFolder       ID = "source_folder"
	SourceStream       ID = "source_stream"
	SourceSeveral      ID = "source_several"
	SourceNamed        ID = "source_named"
	DescriberHeuristic ID = "describer_heuristic"
	DescriberModel     ID = "describer_model"
	DescriberText      ID = "describer_text"
	VoiceSpoken        ID = "voice_spoken"
	VoiceNamed         ID = "voice_named"
	VoiceText          ID = "voice_text"
	VoiceNone          ID = "voice_none"

	FallbackNoCamera    ID = "fallback_no_camera"
	FallbackNoModel     ID = "fallback_no_model"
	FallbackDeviceSay   ID = "fallback_device_say"
	FallbackDeviceText  ID = "fallback_device_text"
	FallbackVoiceText   ID = "fallback_voice_text"
	FallbackSynthText   ID = "fallback_synth_text"
	FallbackSpeechText  ID = "fallback_speech_text"
	FallbackSpeechSay   ID = "fallback_speech_say"
	ModelReady          ID = "model_ready"
	ModelDown           ID = "model_down"
	ModelFailed         ID = "model_failed"
	ModelBack           ID = "model_back"
	ModelDownStandIn    ID = "model_down_stand_in"
	ModelStandIn        ID = "model_stand_in"
	CameraLost          ID = "camera_lost"
	CameraLostNamed     ID = "camera_lost_named"
	CameraBack          ID = "camera_back"
	CameraBackNamed     ID = "camera_back_named"
	CameraEnded         ID = "camera_ended"
	CameraEndedNamed    ID = "camera_ended_named"
	SpeechFailed        ID = "speech_failed"
	SpeechToText        ID = "speech_to_text"
	SpeechToSay         ID = "speech_to_say"
	SpeechToOther       ID = "speech_to_other"
	SpeechBack          ID = "speech_back"
	CutShort            ID = "cut_short"
	AckDescribe         ID = "ack_describe"
	AckAsk              ID = "ack_ask"
	AckRead             ID = "ack_read"
	AckAskHeuristic     ID = "ack_ask_heuristic"
	AckPause            ID = "ack_pause"
	AckResume           ID = "ack_resume"
	AckStop             ID = "ack_stop"
	AckMoreDetail       ID = "ack_more_detail"
	AckLessDetail       ID = "ack_less_detail"
	AckMostDetail       ID = "ack_most_detail"
	AckLeastDetail      ID = "ack_least_detail"
	AckDetail           ID = "ack_detail"
	AckRate             ID = "ack_rate"
	AckVolume           ID = "ack_volume"
	AckModeNarrate      ID = "ack_mode_narrate"
	AckModeChanges      ID = "ack_mode_changes"
	AckModeOnDemand     ID = "ack_mode_ondemand"
	AckQuit             ID = "ack_quit"
	AckNothingToRepeat  ID = "ack_nothing_to_repeat"
	AckNoPicture        ID = "ack_no_picture"
	AckNoDescriber      ID = "ack_no_describer"
	AckNoReader         ID = "ack_no_reader"
	AckBusy             ID = "ack_busy"
	AckNoSpeechSettings ID = "ack_no_speech_settings"
	AckFailed           ID = "ack_failed"
	Help                ID = "help"
)

// Announcement is one thing the narrator says about itself.
type Announcement struct {
	ID      ID
	Topic   string
	Problem bool
	Text    string
}

// Make fills the text id with args. An unknown id is a programming error and says so in the
// text rather than panicking.
func Make(id ID, args ...any) Announcement {
	t, ok := Texts[id]
	if !ok {
		return Announcement{ID: id, Topic: bus.TopicAck, Text: fmt.Sprintf("Unknown announcement %s.", id)}
	}
	return Announcement{ID: id, Topic: t.Topic, Problem: t.Problem, Text: fmt.Sprintf(t.Format, args...)}
}

// phrase is the text of a phrase id filled with args.
func phrase(id ID, args ...any) string { return Make(id, args...).Text }

// DefaultTTL is how long after it is made an announcement may still start.
const DefaultTTL = 30 * time.Second

// Utterance makes the announcement an utterance to publish on bus.SubjectUtterances.
func (a Announcement) Utterance(now time.Time) bus.Utterance {
	return bus.Utterance{
		ID: bus.NewID(), Text: a.Text, Priority: bus.PriorityAnnouncement, Kind: bus.KindAnnouncement,
		Topic: a.Topic, CapturedAt: now, CreatedAt: now, NotAfter: now.Add(DefaultTTL),
	}
}

// Level is which announcements are said: --announce all, errors or none.
type Level int

// Levels of --announce.
const (
	All    Level = iota // everything
	Errors              // fallbacks and failures, and their recovery
	None                // no announcements; acknowledgements and help are still said
)

// Levels lists the --announce values.
var Levels = []string{"all", "errors", "none"}

// DefaultLevel is --announce's default.
const DefaultLevel = "all"

// ParseLevel reads all, errors or none.
func ParseLevel(s string) (Level, error) {
	for i, n := range Levels {
		if strings.EqualFold(strings.TrimSpace(s), n) {
			return Level(i), nil
		}
	}
	return All, fmt.Errorf("announce %q: use all, errors or none", s)
}

// String is the level's name.
func (l Level) String() string {
	if l < All || l > None {
		return DefaultLevel
	}
	return Levels[l]
}

// Allows reports whether an announcement is said at this level. Acknowledgements and help
// answer the user's own key or command and are always said.
func (l Level) Allows(a Announcement) bool {
	switch {
	case a.Topic == bus.TopicAck || a.Topic == bus.TopicHelp:
		return true
	case l == All:
		return true
	case l == Errors:
		return a.Problem
	}
	return false
}
