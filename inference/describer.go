// Package inference turns frames into descriptions: the model contract, the backends that meet
// it, and the stage that feeds them the newest frame from the bus.
package inference

import (
	"context"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// DefaultPrompt asks for the short, concrete descriptions narration needs.
const DefaultPrompt = "Describe what you see in about 15 words. Mention people, objects and what changed. No preamble."

// Describer describes one frame. The inference stage calls it from one goroutine only (its loop
// owns the describer), so an implementation needs no lock for its own state.
type Describer interface {
	// Describe returns the description of f. It may call partial with the text so far while it
	// generates; it must return promptly when ctx ends.
	Describe(ctx context.Context, f bus.Frame, partial func(text string)) (Result, error)
	// Info says what the describer is.
	Info() Info
}

// Runner is a describer with a lifecycle of its own, such as a model worker process. The
// inference stage runs it alongside for as long as the stage runs, with the stage's bus
// connection for status events; if Run returns an error, the stage stops and returns it.
type Runner interface {
	Run(ctx context.Context, conn *bus.Conn) error
}

// Info identifies a describer in every description it produces.
type Info struct {
	Backend string // "heuristic", "mlx", "openai"
	Model   string // model id, empty when there is none
	IsModel bool   // false for describers that measure pixels instead of running a model
}

// Result is a finished description.
type Result struct {
	Text         string
	FirstTokenAt time.Time      // zero when the describer does not stream
	Metadata     map[string]any // backend-specific measurements, published as is
}
