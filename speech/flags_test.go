package speech

import (
	"flag"
	"testing"

	"github.com/narrator-dev/narrator/announce"
	"github.com/narrator-dev/narrator/internal/cliflag/cliflagtest"
)

// TestFlagsValidate: the speech flags are checked before anything opens, naming the flag.
func TestFlagsValidate(t *testing.T) {
	cliflagtest.Check(t, []cliflagtest.Case{
		{nil, ""},
		{[]string{"--speech", "text", "--rate", "450", "--volume", "2"}, ""},
		{[]string{"--speech", "loud"}, "--speech"},
		{[]string{"--rate", "5"}, "--rate"},
		{[]string{"--volume", "0"}, "--volume"},
		{[]string{"--volume", "NaN"}, "--volume"},
		{[]string{"--audio-latency", "3s"}, "--audio-latency"},
	}, func(fs *flag.FlagSet) func() error {
		var f Flags
		f.Register(fs)
		return func() error { return f.Validate() } // after the parse (Validate may take a copy)
	})
}

// TestChoiceAnnounced: PortAudio (chosen or by auto) is said as audio, with the synthesizer's
// name without the player's prefix.
func TestChoiceAnnounced(t *testing.T) {
	got := Choice{Mode: ModePortAudio, Synthesizer: "portaudio/espeak-ng", Voice: "en-us"}.Announced()
	if got.Mode != announce.SpeechAudio || got.Synthesizer != "espeak-ng" || got.Voice != "en-us" {
		t.Errorf("PortAudio: %+v", got)
	}
	if got := (Choice{Mode: ModeText, Fallback: "device"}).Announced(); got.Mode != ModeText || got.Fallback != "device" {
		t.Errorf("text: %+v", got)
	}
}
