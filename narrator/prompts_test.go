package narrator

import (
	"strings"
	"testing"
)

// TestPresets checks that every preset is a usable instruction: short enough to leave the model
// room, and, for the narration presets, asking for one or two sentences and the content first.
func TestPresets(t *testing.T) {
	for _, name := range PresetNames() {
		text := Presets[name]
		if len(text) == 0 || len(text) > 1000 {
			t.Errorf("preset %s is %d bytes", name, len(text))
		}
		if name == "director" || name == "text" {
			continue
		}
		if !strings.Contains(text, "one or two short sentences") && !strings.Contains(text, "one short sentence") {
			t.Errorf("preset %s does not bound the answer's length: %q", name, text)
		}
	}
	if !strings.Contains(Presets["documentary"], "never invent") {
		t.Error("the documentary preset must keep the model to what is visible")
	}
}

// TestDocumentaryPresetWithNarrate checks that the documentary preset is accepted in narrate
// mode and becomes the prompt the stage publishes.
func TestDocumentaryPresetWithNarrate(t *testing.T) {
	s := &Stage{cfg: Config{Mode: ModeNarrate, Prompt: "documentary"}}
	if err := s.loadPrompt(); err != nil {
		t.Fatal(err)
	}
	if s.prompt.Preset != "documentary" || s.prompt.Text != Presets["documentary"] {
		t.Errorf("prompt %+v", s.prompt)
	}
}
