// The prompt: a preset, or a file read again whenever it changes.

package narrator

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// loadPrompt sets the prompt from the preset or the file.
func (s *Stage) loadPrompt() error {
	if s.cfg.PromptFile != "" {
		st, err := os.Stat(s.cfg.PromptFile)
		if err != nil {
			return fmt.Errorf("prompt file: %w", err)
		}
		text, err := readPromptFile(s.cfg.PromptFile)
		if err != nil {
			return err
		}
		s.promptStat = st
		s.prompt = bus.Prompt{ID: bus.NewID(), Preset: "file", File: s.cfg.PromptFile, Text: text, At: time.Now().UTC()}
		return nil
	}
	name := s.cfg.Prompt
	if name == "" {
		name = "describe"
		if s.cfg.Mode == ModeDirector {
			name = "director"
		}
	}
	text, ok := Presets[name]
	if !ok {
		return fmt.Errorf("prompt preset %q: use one of %s, or a file", name, strings.Join(PresetNames(), ", "))
	}
	s.prompt = bus.Prompt{ID: bus.NewID(), Preset: name, Text: text, At: time.Now().UTC()}
	return nil
}

// reloadPrompt reads the prompt file again when it changed, and publishes the new prompt.
func (s *Stage) reloadPrompt() {
	st, err := os.Stat(s.cfg.PromptFile)
	if err != nil {
		if s.promptStat != nil {
			s.cfg.Logger.Warn("prompt file unreadable, keeping the last prompt", "err", err)
		}
		s.promptStat = nil
		return
	}
	if s.promptStat != nil && st.ModTime().Equal(s.promptStat.ModTime()) && st.Size() == s.promptStat.Size() {
		return
	}
	s.promptStat = st
	text, err := readPromptFile(s.cfg.PromptFile)
	if err != nil {
		s.cfg.Logger.Warn("keeping the last prompt", "err", err)
		return
	}
	if text == s.prompt.Text {
		return
	}
	s.prompt = bus.Prompt{ID: bus.NewID(), Preset: "file", File: s.cfg.PromptFile, Text: text, At: time.Now().UTC()}
	s.cfg.Logger.Info("prompt file changed; using the new prompt", "file", s.cfg.PromptFile)
	s.publish(bus.SubjectPrompt, s.prompt)
}
