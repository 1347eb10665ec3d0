package narrator

import (
	"fmt"
	"sort"
	"strings"

	"github.com/narrator-dev/narrator/internal/userfile"
)

// Presets are the built-in prompts, by name.
var Presets = map[string]string{
	"describe": "Describe what the camera sees in one or two short sentences: the people, what they are doing, " +
		"and the main objects. Start with the content; do not begin with \"The image shows\".",
	"text": "Read out the text that is visible, exactly as written, most prominent first. " +
		"If there is no readable text, say \"No text.\"",
	"people": "Describe the people in view in one or two short sentences: how many, where they are, and what " +
		"they are doing. If there is nobody, say \"Nobody.\"",
	"hazards": "Name any hazard in view in one short sentence: fire, smoke, water on the floor, obstacles, sharp " +
		"objects, a person who has fallen. If there is none, say \"No hazards.\"",
	"documentary": "You are the narrator of a nature documentary, and the camera is watching a creature in its " +
		"habitat: whoever or whatever is in view. In one or two short sentences, in a hushed, admiring, " +
		"slightly amused voice, say what the creature is doing and what surrounds it. Say only what is " +
		"actually visible, never invent, and start with the content, not with \"The image shows\" or " +
		"\"In this scene\".",
	"director": "Reply with exactly these five lines and nothing else:\n" +
		"colour: the dominant colours\nmood: one or two words\nenergy: low, medium or high\n" +
		"objects: the main objects, separated by commas\npeople: how many, and what they do",
}

// askPrompt turns a user's question into a prompt.
func askPrompt(question string) string {
	return "Answer this question about what the camera sees, in one or two short sentences: " + question
}

// PresetNames lists the preset names, sorted.
func PresetNames() []string {
	names := make([]string, 0, len(Presets))
	for n := range Presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// maxPromptBytes bounds a prompt file: prompts are instructions, not documents.
const maxPromptBytes = 16 << 10

// readPromptFile reads a prompt file, trimmed; empty and oversized files, and paths that are
// not regular files (a FIFO, a device such as /dev/zero, a directory), are errors. It never
// reads more than maxPromptBytes+1 bytes and never blocks on a FIFO.
func readPromptFile(path string) (string, error) {
	data, err := userfile.Read(path, maxPromptBytes)
	if err != nil {
		return "", fmt.Errorf("read prompt file: %w", err)
	}
	text := strings.TrimSpace(string(data))
	if text == "" {
		return "", fmt.Errorf("prompt file %s is empty", path)
	}
	return text, nil
}
