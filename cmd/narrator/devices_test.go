package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/speech"
)

func TestDevicesLists(t *testing.T) {
	saved := listAudioOutputs
	t.Cleanup(func() { listAudioOutputs = saved })
	listAudioOutputs = func(context.Context) ([]audioOutput, error) {
		return []audioOutput{{Index: 0, Name: "Speakers", Default: true, Via: "test"}}, nil
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"devices"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Cameras", "camera:INDEX", "file:PATH", "Audio outputs (", "0  Speakers  (default)  [test]"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("devices output lacks %q:\n%s", want, out.String())
		}
	}
	out.Reset()
	if err := run(context.Background(), []string{"devices", "--json"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var report struct {
		Cameras      []map[string]any `json:"cameras"`
		AudioOutputs []audioOutput    `json:"audio_outputs"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil || report.Cameras == nil || len(report.AudioOutputs) != 1 {
		t.Errorf("devices --json: %v, %+v:\n%s", err, report, out.String())
	}
}

// TestDevicesListsWhatAudioDeviceAccepts opens every audio output `narrator devices --json`
// lists by the name it prints, as --audio-device does.
func TestDevicesListsWhatAudioDeviceAccepts(t *testing.T) {
	if _, err := speech.OutputDevices(); err != nil {
		if os.Getenv("NARRATOR_AUDIO_SINK") != "" {
			t.Fatal(err)
		}
		t.Skipf("no audio outputs to list here: %v", err)
	}
	var out, errOut bytes.Buffer
	if err := run(context.Background(), []string{"devices", "--json"}, &out, &errOut); err != nil {
		t.Fatal(err)
	}
	var report struct {
		AudioOutputs []audioOutput `json:"audio_outputs"`
		AudioError   string        `json:"audio_error"`
	}
	if err := json.Unmarshal(out.Bytes(), &report); err != nil || len(report.AudioOutputs) == 0 {
		t.Fatalf("devices --json: %v, %+v", err, report)
	}
	for _, o := range report.AudioOutputs {
		p, err := speech.OpenPortAudio(o.Name, 1)
		if err != nil {
			t.Errorf("--audio-device %q (listed): %v", o.Name, err)
			continue
		}
		if got := p.Device().Name; got != o.Name {
			t.Errorf("--audio-device %q opened %q", o.Name, got)
		}
		if err := p.Close(); err != nil {
			t.Error(err)
		}
	}
}

func TestParseAudioOutputs(t *testing.T) {
	pulse := "0\talsa_output.pci-0000_00_1f.3.analog-stereo\tmodule-alsa-card.c\ts16le 2ch 44100Hz\tSUSPENDED\n1\tnarrator_test\tmodule-null-sink.c\ts16le 2ch 44100Hz\tIDLE\n"
	got := parsePulseSinks(pulse, "narrator_test")
	want := []audioOutput{
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

func TestSourceNames(t *testing.T) {
	cases := []struct {
		sources []string
		want    []cameraSource
		err     string
	}{
		{nil, []cameraSource{{"cam0", "auto"}}, ""},
		{[]string{"file:/a=b.mp4", "rtsp://h/x?a=b"}, []cameraSource{{"cam0", "file:/a=b.mp4"}, {"cam1", "rtsp://h/x?a=b"}}, ""},
		{[]string{"door=rtsp://h/x", "demo"}, []cameraSource{{"door", "rtsp://h/x"}, {"cam1", "demo"}}, ""},
		{[]string{"demo", "cam0=test"}, nil, "used twice"},
	}
	for _, c := range cases {
		o := captureOptions{sources: c.sources, camera: "cam0"}
		got, err := o.cameraSources()
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%v: %v, want error %q", c.sources, err, c.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, c.want) {
			t.Errorf("%v: %+v, %v; want %+v", c.sources, got, err, c.want)
		}
	}
}
