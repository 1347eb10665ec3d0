package speech

import (
	"flag"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/announce"
)

// TestFlagsValidate: the speech flags are checked before anything opens, naming the flag.
func TestFlagsValidate(t *testing.T) {
	cases := []struct {
		args []string
		want string // "" means valid
	}{
		{nil, ""},
		{[]string{"--speech", "text", "--rate", "450", "--volume", "2"}, ""},
		{[]string{"--speech", "loud"}, "--speech"},
		{[]string{"--rate", "5"}, "--rate"},
		{[]string{"--volume", "0"}, "--volume"},
		{[]string{"--volume", "NaN"}, "--volume"},
		{[]string{"--audio-latency", "3s"}, "--audio-latency"},
	}
	for _, c := range cases {
		var f Flags
		fs := flag.NewFlagSet("t", flag.ContinueOnError)
		f.Register(fs)
		if err := fs.Parse(c.args); err != nil {
			t.Fatal(err)
		}
		err := f.Validate()
		if c.want == "" && err != nil {
			t.Errorf("%v: %v, want valid", c.args, err)
		}
		if c.want != "" && (err == nil || !strings.Contains(err.Error(), c.want)) {
			t.Errorf("%v: %v, want an error naming %q", c.args, err, c.want)
		}
	}
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
