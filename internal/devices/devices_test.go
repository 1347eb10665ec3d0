package devices

import (
	"reflect"
	"testing"

	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestParseAudioOutputs(t *testing.T) {
	pulse := "0\talsa_output.pci-0000_00_1f.3.analog-stereo\tmodule-alsa-card.c\ts16le 2ch 44100Hz\tSUSPENDED\n1\tnarrator_test\tmodule-null-sink.c\ts16le 2ch 44100Hz\tIDLE\n"
	got := parsePulseSinks(pulse, "narrator_test")
	want := []Output{
		{Index: 0, Name: "alsa_output.pci-0000_00_1f.3.analog-stereo", ID: "0", Via: "PulseAudio"},
		{Index: 1, Name: "narrator_test", ID: "1", Default: true, Via: "PulseAudio"},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("pulse: %+v, want %+v", got, want)
	}
	cards := " 0 [PCH            ]: HDA-Intel - HDA Intel PCH\n                      HDA Intel PCH at 0xf7f10000 irq 32\n 1 [Device         ]: USB-Audio - USB Audio Device\n"
	if got := parseALSACards(cards); len(got) != 2 || got[0].Name != "HDA Intel PCH" || got[1].ID != "hw:Device" {
		t.Errorf("alsa: %+v", got)
	}
	mac := `{"SPAudioDataType":[{"_items":[{"_name":"MacBook Pro Microphone","coreaudio_device_input":2},{"_name":"MacBook Pro Speakers","coreaudio_device_output":2,"coreaudio_default_audio_output_device":"spaudio_yes"}]}]}`
	if got, err := parseCoreAudio([]byte(mac)); err != nil || len(got) != 1 || got[0].Name != "MacBook Pro Speakers" || !got[0].Default {
		t.Errorf("core audio: %+v, %v", got, err)
	}
	if _, err := parseCoreAudio([]byte("not json")); err == nil {
		t.Error("core audio: garbage accepted")
	}
}
