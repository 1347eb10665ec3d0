// Package devices is `narrator devices`: the cameras this build can open, the other sources
// and the audio outputs speech can play on, as a report for people or as JSON.
package devices

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/speech"
)

// Output is one place speech can be played.
type Output struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	Description string `json:"description,omitempty"`
	ID          string `json:"id,omitempty"`
	Default     bool   `json:"default,omitempty"`
	Via         string `json:"via"` // what offers it: ALSA, PulseAudio, Core Audio
}

// ListOutputs lists the audio outputs: with PortAudio in the build, exactly the names
// --audio-device accepts (speech.OutputDevices, which `narrator doctor` checks too); without it
// (CGO_ENABLED=0), the system's own list, which only `--speech say -a` can use.
var ListOutputs = playableOutputs

// playableOutputs lists the outputs speech can play on.
func playableOutputs(ctx context.Context) ([]Output, error) {
	if !speech.PortAudioAvailable {
		return systemAudioOutputs(ctx)
	}
	devs, err := speech.OutputDevices()
	if err != nil {
		return nil, err
	}
	outs := make([]Output, len(devs))
	for i, d := range devs {
		outs[i] = Output{Index: i, Name: d.Name, Description: d.Description, Default: d.Default, Via: d.HostAPI}
	}
	return outs, nil
}

// Report is what `narrator devices` prints.
type Report struct {
	Cameras      []capture.Camera `json:"cameras"`
	CameraHelp   string           `json:"camera_help,omitempty"`
	FFmpeg       string           `json:"ffmpeg,omitempty"`
	FFmpegError  string           `json:"ffmpeg_error,omitempty"`
	AudioOutputs []Output         `json:"audio_outputs"`
	AudioError   string           `json:"audio_error,omitempty"`
}

// Gather looks for the cameras, ffmpeg and the audio outputs; listing the outputs may take up
// to 5 s.
func Gather(ctx context.Context) Report {
	cams := capture.Cameras()
	ffmpeg, ffmpegErr := capture.FindFFmpeg()
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	outs, audioErr := ListOutputs(ctx)
	r := Report{Cameras: cams, FFmpeg: ffmpeg, AudioOutputs: outs}
	if len(cams) == 0 {
		r.CameraHelp = capture.CameraHelp()
	}
	if ffmpegErr != nil {
		r.FFmpegError = ffmpegErr.Error()
	}
	if audioErr != nil {
		r.AudioError = audioErr.Error()
	}
	return r
}

// WriteJSON writes the report as one indented JSON object.
func (r Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// WriteText writes the report as a list for people, with the flag that takes each entry.
func (r Report) WriteText(w io.Writer) error {
	b := &bytes.Buffer{}
	fmt.Fprintln(b, "Cameras (--source camera:INDEX or camera:NAME):")
	if len(r.Cameras) == 0 {
		fmt.Fprintf(b, "  none: %s\n", r.CameraHelp)
		fmt.Fprintln(b, "  (--source auto then narrates the built-in demo scene)")
	}
	for _, c := range r.Cameras {
		fmt.Fprintf(b, "  %d  %s  (id %s)\n", c.Index, c.Label, c.ID)
		if len(c.Sizes) > 0 {
			fmt.Fprintf(b, "     sizes: %s\n", strings.Join(c.Sizes, ", "))
		}
	}
	fmt.Fprintln(b, "\nOther sources: demo, test, file:PATH, dir:PATH, rtsp://…, http(s)://…")
	if r.FFmpegError != "" {
		fmt.Fprintf(b, "  %s\n", r.FFmpegError)
	} else {
		fmt.Fprintf(b, "  ffmpeg (file, dir, rtsp, http): %s\n", r.FFmpeg)
	}
	if speech.PortAudioAvailable {
		fmt.Fprintln(b, "\nAudio outputs (--audio-device NAME):")
	} else {
		fmt.Fprintln(b, "\nAudio outputs (this build has no PortAudio and cannot play on them; on macOS --speech say -a NAME):")
	}
	if r.AudioError != "" {
		fmt.Fprintf(b, "  could not list them: %s\n", r.AudioError)
	} else if len(r.AudioOutputs) == 0 {
		fmt.Fprintln(b, "  none found")
	}
	for _, o := range r.AudioOutputs {
		def := ""
		if o.Default {
			def = "  (default)"
			if o.Via == speech.HostPulseAudio {
				def = "  (default sink)"
			}
		}
		id := ""
		if o.ID != "" && o.ID != o.Name {
			id = fmt.Sprintf("  (id %s)", o.ID)
		}
		if o.Description != "" {
			id += fmt.Sprintf("  %q", o.Description)
		}
		fmt.Fprintf(b, "  %d  %s%s%s  [%s]\n", o.Index, o.Name, id, def, o.Via)
	}
	_, err := w.Write(b.Bytes())
	return err
}

// systemAudioOutputs asks the system's tools for the audio outputs: PulseAudio (or PipeWire's
// pactl) and then ALSA on Linux, system_profiler on macOS.
func systemAudioOutputs(ctx context.Context) ([]Output, error) {
	switch runtime.GOOS {
	case "linux":
		outs, err := pulseSinks(ctx)
		if err == nil && len(outs) > 0 {
			return outs, nil
		}
		alsa, alsaErr := alsaCards()
		if alsaErr != nil && err != nil {
			return nil, fmt.Errorf("no PulseAudio (%v) and no ALSA sound cards (%v)", err, alsaErr)
		}
		return alsa, nil
	case "darwin":
		return coreAudioOutputs(ctx)
	}
	return nil, fmt.Errorf("listing audio outputs is not supported on %s", runtime.GOOS)
}

// pulseSinks lists PulseAudio sinks with `pactl`.
func pulseSinks(ctx context.Context) ([]Output, error) {
	out, err := exec.CommandContext(ctx, "pactl", "list", "short", "sinks").Output()
	if err != nil {
		return nil, fmt.Errorf("pactl list short sinks: %w", err)
	}
	def, _ := exec.CommandContext(ctx, "pactl", "get-default-sink").Output()
	return parsePulseSinks(string(out), strings.TrimSpace(string(def))), nil
}

// parsePulseSinks parses `pactl list short sinks`: index, name, driver, format, state.
func parsePulseSinks(out, defaultSink string) []Output {
	var outs []Output
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "\t")
		if len(f) < 2 {
			continue
		}
		outs = append(outs, Output{Index: len(outs), Name: f[1], ID: f[0], Default: f[1] == defaultSink, Via: "PulseAudio"})
	}
	return outs
}

// alsaCards lists the sound cards in /proc/asound/cards.
func alsaCards() ([]Output, error) {
	data, err := os.ReadFile("/proc/asound/cards")
	if err != nil {
		return nil, err
	}
	return parseALSACards(string(data)), nil
}

// parseALSACards parses /proc/asound/cards: " 0 [PCH            ]: HDA-Intel - HDA Intel PCH".
func parseALSACards(data string) []Output {
	var outs []Output
	for _, line := range strings.Split(data, "\n") {
		num, rest, ok := strings.Cut(strings.TrimSpace(line), " [")
		if !ok || strings.TrimSpace(num) == "" || strings.ContainsAny(num, " \t") {
			continue
		}
		id, desc, _ := strings.Cut(rest, "]:")
		name := strings.TrimSpace(desc)
		if _, long, ok := strings.Cut(name, " - "); ok {
			name = strings.TrimSpace(long)
		}
		outs = append(outs, Output{Index: len(outs), Name: name, ID: "hw:" + strings.TrimSpace(id), Via: "ALSA"})
	}
	return outs
}

// coreAudioOutputs lists macOS outputs with `system_profiler SPAudioDataType -json`.
func coreAudioOutputs(ctx context.Context) ([]Output, error) {
	out, err := exec.CommandContext(ctx, "system_profiler", "SPAudioDataType", "-json").Output()
	if err != nil {
		return nil, fmt.Errorf("system_profiler SPAudioDataType: %w", err)
	}
	return parseCoreAudio(out)
}

// parseCoreAudio picks the output devices from system_profiler's audio report.
func parseCoreAudio(data []byte) ([]Output, error) {
	var report struct {
		SPAudioDataType []struct {
			Items []struct {
				Name          string `json:"_name"`
				Outputs       any    `json:"coreaudio_device_output"`
				DefaultOutput string `json:"coreaudio_default_audio_output_device"`
			} `json:"_items"`
		}
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, fmt.Errorf("read system_profiler's audio report: %w", err)
	}
	var outs []Output
	for _, group := range report.SPAudioDataType {
		for _, it := range group.Items {
			if it.Outputs == nil {
				continue
			}
			outs = append(outs, Output{Index: len(outs), Name: it.Name, Default: it.DefaultOutput == "spaudio_yes", Via: "Core Audio"})
		}
	}
	if outs == nil {
		return nil, errors.New("system_profiler reported no audio outputs")
	}
	return outs, nil
}
