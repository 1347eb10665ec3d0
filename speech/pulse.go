package speech

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"time"
)

// PulseSink is a PulseAudio (or PipeWire pulse server) sink: a sound card's output or a virtual
// one, such as the null sink a streamer routes into OBS.
type PulseSink struct {
	Name        string // what --audio-device takes
	Description string // the name sound settings show
	Default     bool   // the server's default sink
}

// pulseSinks lists the sound server's sinks with pactl (pulseaudio-utils; PipeWire's pulse
// server answers it too). No pactl or no server is an error.
func pulseSinks(ctx context.Context) ([]PulseSink, error) {
	if _, err := exec.LookPath("pactl"); err != nil {
		return nil, fmt.Errorf("pactl is not installed (pulseaudio-utils): %w", err)
	}
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	list := exec.CommandContext(ctx, "pactl", "list", "sinks")
	list.Env = append(os.Environ(), "LC_ALL=C") // pactl translates its labels
	out, err := list.Output()
	if err != nil {
		return nil, fmt.Errorf("pactl list sinks: %w", err)
	}
	info := exec.CommandContext(ctx, "pactl", "info")
	info.Env = list.Env
	infoOut, _ := info.Output()
	return parsePulseSinks(string(out), string(infoOut)), nil
}

// parsePulseSinks reads `pactl list sinks` (C locale): a "Sink #N" block per sink with
// "Name:" and "Description:" lines; and `pactl info` for the "Default Sink:".
func parsePulseSinks(list, info string) []PulseSink {
	def := ""
	for line := range strings.Lines(info) {
		if v, ok := strings.CutPrefix(strings.TrimSpace(line), "Default Sink:"); ok {
			def = strings.TrimSpace(v)
		}
	}
	var sinks []PulseSink
	for line := range strings.Lines(list) {
		raw := strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(raw, "Sink #") {
			sinks = append(sinks, PulseSink{})
			continue
		}
		if len(sinks) == 0 || !strings.HasPrefix(raw, "\t") || strings.HasPrefix(raw, "\t\t") {
			continue // not a field of a sink block (properties are indented twice)
		}
		s := &sinks[len(sinks)-1]
		field := strings.TrimSpace(raw)
		if v, ok := strings.CutPrefix(field, "Name:"); ok && s.Name == "" {
			s.Name = strings.TrimSpace(v)
			s.Default = s.Name != "" && s.Name == def
		} else if v, ok := strings.CutPrefix(field, "Description:"); ok && s.Description == "" {
			s.Description = strings.TrimSpace(v)
		}
	}
	out := sinks[:0]
	for _, s := range sinks {
		if s.Name != "" {
			out = append(out, s)
		}
	}
	return out
}
