// Package speech says utterances aloud (or prints them) and reports on the bus what it did with
// each: started, finished, interrupted or dropped.
package speech

import (
	"context"
	"fmt"
	"io"
	"sync"
)

// Speaker says one text, blocking until it has been said or ctx ends.
type Speaker interface {
	Speak(ctx context.Context, text string) error
	// Name identifies the speaker in speech events ("text", "portaudio", "say").
	Name() string
}

// Text is the speaker for --speech text: it prints each utterance as a line.
type Text struct {
	mu sync.Mutex
	w  io.Writer
}

// NewText returns a speaker that writes to w.
func NewText(w io.Writer) *Text { return &Text{w: w} }

// Speak writes text as one line.
func (t *Text) Speak(_ context.Context, text string) error {
	t.mu.Lock()
	defer t.mu.Unlock()
	if _, err := fmt.Fprintf(t.w, "» %s\n", text); err != nil {
		return fmt.Errorf("print utterance: %w", err)
	}
	return nil
}

// Name is "text".
func (t *Text) Name() string { return "text" }
