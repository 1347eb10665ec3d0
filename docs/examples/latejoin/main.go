// Command latejoin is the README's example of a late joiner: it prints the descriptions of the
// last ten minutes from the narrator's history, then each new one as it is kept.
package main

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"
)

func main() {
	url := "nats://127.0.0.1:4222" // `narrator run --listen 127.0.0.1:4222`
	if len(os.Args) > 1 {
		url = os.Args[1]
	}
	nc, err := nats.Connect(url)
	if err != nil {
		panic(err)
	}
	defer nc.Close()
	js, err := jetstream.New(nc)
	if err != nil {
		panic(err)
	}
	// One ordered consumer: what was kept since then, then every new description, with no gap
	// and no repeat between the two.
	since := time.Now().Add(-10 * time.Minute)
	cons, err := js.OrderedConsumer(context.Background(), "NARRATOR_HISTORY", jetstream.OrderedConsumerConfig{
		FilterSubjects: []string{"narrator.history.v1.descriptions.*"},
		DeliverPolicy:  jetstream.DeliverByStartTimePolicy,
		OptStartTime:   &since,
	})
	if err != nil {
		panic(err)
	}
	msgs, err := cons.Messages()
	if err != nil {
		panic(err)
	}
	for {
		m, err := msgs.Next()
		if err != nil {
			panic(err)
		}
		var d struct {
			Camera     string    `json:"camera"`
			Text       string    `json:"text"`
			CapturedAt time.Time `json:"captured_at"`
		}
		if json.Unmarshal(m.Data(), &d) == nil {
			fmt.Printf("%s %s: %s\n", d.CapturedAt.Local().Format("15:04:05"), d.Camera, d.Text)
		}
	}
}
