package announce

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
)

// Transcript prints one line per thing heard: the text of every utterance the speech stage
// starts to say (narration, answers and announcements alike), in the order it says them, for a
// screen reader following the terminal.
type Transcript struct {
	out    io.Writer
	log    *slog.Logger
	events *bus.Queue[bus.SpeechEvent]
}

// TranscriptPrefix starts every transcript line, as it starts the lines of --speech text.
const TranscriptPrefix = "» "

// NewTranscript subscribes to speech events on conn; lines go to out.
func NewTranscript(conn *bus.Conn, out io.Writer, log *slog.Logger) (*Transcript, error) {
	if log == nil {
		log = slog.Default()
	}
	q, err := bus.SubscribeEvents[bus.SpeechEvent](conn, bus.SubjectSpeech, bus.QueueConfig{Name: "transcript.speech", Size: 256, Policy: bus.DropOldest})
	if err != nil {
		return nil, fmt.Errorf("transcript: %w", err)
	}
	if err := conn.Flush(); err != nil {
		_ = q.Close()
		return nil, fmt.Errorf("transcript: %w", err)
	}
	return &Transcript{out: out, log: log, events: q}, nil
}

// Run prints until ctx ends.
func (t *Transcript) Run(ctx context.Context) error {
	defer func() { _ = t.events.Close() }()
	for {
		e, err := t.events.Next(ctx)
		if err != nil {
			return nil
		}
		if e.State != bus.SpeechStarted {
			continue
		}
		if _, err := fmt.Fprintln(t.out, TranscriptPrefix+e.Text); err != nil {
			t.log.Warn("transcript line not printed", "err", err)
		}
	}
}
