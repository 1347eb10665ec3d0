package web

import (
	"fmt"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// BenchmarkCaptionToPage measures one spoken line from its speech event on the bus to its
// caption event read from a page's stream (/events), through the bridge.
func BenchmarkCaptionToPage(b *testing.B) {
	srv := bustest.Server(b)
	conn := bustest.Conn(b, srv, "web")
	s, _ := serve(b, Config{Conn: conn})
	ev := openEventsB(b, s)
	ev.nextOfB(b, evSnapshot)
	b.ResetTimer()
	for i := range b.N {
		id := fmt.Sprint("u", i)
		now := time.Now()
		if err := conn.PublishEvent(bus.SubjectSpeech, bus.SpeechEvent{ID: id, UtteranceID: id, State: bus.SpeechStarted, Text: "A line.", At: now, SpokenAt: now}); err != nil {
			b.Fatal(err)
		}
		ev.nextOfB(b, evCaption)
	}
}
