package capture

import (
	"errors"

	"github.com/narrator-dev/narrator/bus"
)

// sourceEnded is what readLoop returns when the source ended (io.EOF): Run says so once the
// frame still waiting was published, so that a subscriber (the drain of `narrator describe`)
// sees the last frame before the end. It once came first, and a single image was "ended
// without sending a picture" about one run in three.
type sourceEnded string

func (e sourceEnded) Error() string { return "source ended: " + string(e) }

// endOf splits readLoop's result into the source that ended ("" when none did) and the error.
func endOf(err error) (ended string, rest error) {
	var e sourceEnded
	if errors.As(err, &e) {
		return string(e), nil
	}
	return "", err
}

// sayEnded logs and publishes that source ended; nothing when source is "".
func (s *Stage) sayEnded(source string) {
	if source == "" {
		return
	}
	s.cfg.Logger.Info("source ended", "source", source)
	s.publishSource(bus.SourceEvent{State: bus.SourceEnded, Source: source})
}
