package web

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/narrator-dev/narrator/bus"
)

// maxQuestion bounds a question's length in characters.
const maxQuestion = 500

// controlBody is what the page POSTs to /api/control: the fields of `narrator ctl`.
type controlBody struct {
	Command   string `json:"command"`
	Text      string `json:"text,omitempty"`
	Verbosity string `json:"verbosity,omitempty"`
	Value     string `json:"value,omitempty"`
	Camera    string `json:"camera,omitempty"`
}

// commands the page may send: everything `narrator ctl` does.
var commands = []string{bus.ControlDescribe, bus.ControlRepeat, bus.ControlPause, bus.ControlResume, bus.ControlStop,
	bus.ControlAsk, bus.ControlVerbosity, bus.ControlMode, bus.ControlRate, bus.ControlVolume, bus.ControlHelp, bus.ControlStatus}

var verbosities = []string{"up", "down", "short", "normal", "detailed"}

// modes a run can switch to (director is chosen at start only).
var modes = []string{"narrate", "changes", "ondemand"}

// ParseControl checks a control the page sent and makes the control request from it, exactly
// as `narrator ctl` would.
func ParseControl(body []byte) (bus.Control, error) {
	if len(body) > maxControlBody {
		return bus.Control{}, fmt.Errorf("control of %d bytes: at most %d", len(body), maxControlBody)
	}
	var b controlBody
	if err := json.Unmarshal(body, &b); err != nil {
		return bus.Control{}, fmt.Errorf("control is not JSON: %w", err)
	}
	c := bus.Control{ID: bus.NewID(), Command: b.Command, Camera: b.Camera, At: time.Now().UTC()}
	if !slices.Contains(commands, b.Command) {
		return c, fmt.Errorf("unknown command %q: use %s", trunc(b.Command), strings.Join(commands, ", "))
	}
	if b.Camera != "" {
		if err := bus.ValidateCamera(b.Camera); err != nil {
			return c, err
		}
	}
	switch b.Command {
	case bus.ControlAsk:
		c.Text = strings.TrimSpace(b.Text)
		if c.Text == "" {
			return c, errors.New("ask needs a question")
		}
		if n := utf8.RuneCountInString(c.Text); n > maxQuestion {
			return c, fmt.Errorf("question of %d characters: at most %d", n, maxQuestion)
		}
	case bus.ControlVerbosity:
		if !slices.Contains(verbosities, b.Verbosity) {
			return c, fmt.Errorf("verbosity %q: use up, down, short, normal or detailed", trunc(b.Verbosity))
		}
		c.Verbosity = b.Verbosity
	case bus.ControlMode:
		if !slices.Contains(modes, b.Value) {
			return c, fmt.Errorf("mode %q: use narrate, changes or ondemand", trunc(b.Value))
		}
		c.Value = b.Value
	case bus.ControlRate, bus.ControlVolume:
		v := strings.TrimSpace(b.Value)
		if v == "" || len(v) > 8 {
			return c, fmt.Errorf("%s needs up, down or a number", b.Command)
		}
		c.Value = v
	}
	return c, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		for i := 40; i > 0; i-- {
			if utf8.RuneStart(s[i]) {
				return s[:i] + "…"
			}
		}
	}
	return s
}
