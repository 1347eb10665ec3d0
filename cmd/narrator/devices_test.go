package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/narrator-dev/narrator/internal/devices"
	"github.com/narrator-dev/narrator/speech"
)

func TestDevicesLists(t *testing.T) {
	saved := devices.ListOutputs
	t.Cleanup(func() { devices.ListOutputs = saved })
	devices.ListOutputs = func(context.Context) ([]devices.Output, error) {
		return []devices.Output{{Index: 0, Name: "Speakers", Default: true, Via: "test"}}, nil
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
		AudioOutputs []devices.Output `json:"audio_outputs"`
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
		AudioOutputs []devices.Output `json:"audio_outputs"`
		AudioError   string           `json:"audio_error"`
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
