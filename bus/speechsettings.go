package bus

import "time"

// SubjectSpeechSettings carries SpeechSettings requests to the speech stage (request-reply):
// change the speaking rate or the volume. The stage answers each with a SpeechSettingsReply.
const SubjectSpeechSettings = Prefix + ".speech_settings"

// Speech settings steps and bounds.
const (
	RateStep   = 20  // words per minute, for up and down
	MinRate    = 80  // words per minute
	MaxRate    = 450 // words per minute
	VolumeStep = 10  // percent, for up and down
	MinVolume  = 10  // percent
	MaxVolume  = 200 // percent; above 100 amplifies and may clip
)

// SpeechSettings asks the speech stage to change the rate or the volume (one of them, or
// neither to read both), on SubjectSpeechSettings.
type SpeechSettings struct {
	ID string `json:"id"`
	// Rate is up, down or words per minute (MinRate-MaxRate); empty leaves it.
	Rate string `json:"rate,omitempty"`
	// Volume is up, down or a percentage (MinVolume-MaxVolume); empty leaves it.
	Volume string    `json:"volume,omitempty"`
	At     time.Time `json:"at"`
}

// SpeechSettingsReply is the speech stage's answer: the rate and volume now, or Error.
type SpeechSettingsReply struct {
	ID        string    `json:"id"`
	RequestID string    `json:"request_id"`
	OK        bool      `json:"ok"`
	Error     string    `json:"error,omitempty"`
	Rate      int       `json:"rate,omitempty"`   // words per minute
	Volume    int       `json:"volume,omitempty"` // percent
	At        time.Time `json:"at"`
}
