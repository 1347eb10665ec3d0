package bus_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// docTypes maps the type named on a docs/events.md code fence (```json TYPE) to a new value of it.
var docTypes = map[string]func() any{
	"Description":         func() any { return new(bus.Description) },
	"Decision":            func() any { return new(bus.Decision) },
	"Utterance":           func() any { return new(bus.Utterance) },
	"SpeechEvent":         func() any { return new(bus.SpeechEvent) },
	"SpeechControl":       func() any { return new(bus.SpeechControl) },
	"Stats":               func() any { return new(bus.Stats) },
	"WorkerState":         func() any { return new(bus.WorkerState) },
	"SourceEvent":         func() any { return new(bus.SourceEvent) },
	"Control":             func() any { return new(bus.Control) },
	"ControlReply":        func() any { return new(bus.ControlReply) },
	"DescribeRequest":     func() any { return new(bus.DescribeRequest) },
	"DescribeReply":       func() any { return new(bus.DescribeReply) },
	"Prompt":              func() any { return new(bus.Prompt) },
	"Cue":                 func() any { return new(bus.Cue) },
	"SpeechSettings":      func() any { return new(bus.SpeechSettings) },
	"SpeechSettingsReply": func() any { return new(bus.SpeechSettingsReply) },
	"Latest":              func() any { return new(bus.Latest) },
	"SettledWanted":       func() any { return new(bus.SettledWanted) },
}

// docExample is one JSON example from docs/events.md.
type docExample struct {
	typ  string
	line int
	body []byte
}

func readDocExamples(t *testing.T) []docExample {
	t.Helper()
	data, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	var out []docExample
	var cur *docExample
	sc := bufio.NewScanner(bytes.NewReader(data))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		switch {
		case cur == nil && strings.HasPrefix(line, "```json"):
			cur = &docExample{typ: strings.TrimSpace(strings.TrimPrefix(line, "```json")), line: n}
		case cur != nil && strings.HasPrefix(line, "```"):
			out = append(out, *cur)
			cur = nil
		case cur != nil:
			cur.body = append(cur.body, line+"\n"...)
		}
	}
	return out
}

func TestEventsDocExamplesDecode(t *testing.T) {
	examples := readDocExamples(t)
	seen := map[string]bool{}
	for _, ex := range examples {
		newValue, ok := docTypes[ex.typ]
		if !ok {
			t.Errorf("docs/events.md:%d: code fence names type %q, which the test does not know (add it to docTypes)", ex.line, ex.typ)
			continue
		}
		seen[ex.typ] = true
		v := newValue()
		dec := json.NewDecoder(bytes.NewReader(ex.body))
		dec.DisallowUnknownFields()
		if err := dec.Decode(v); err != nil {
			t.Errorf("docs/events.md:%d: %s example does not decode: %v", ex.line, ex.typ, err)
			continue
		}
		// Every field the example shows must survive a round trip through the type.
		var shown, again map[string]any
		json.Unmarshal(ex.body, &shown)
		out, _ := json.Marshal(v)
		json.Unmarshal(out, &again)
		for k := range shown {
			if _, ok := again[k]; !ok {
				t.Errorf("docs/events.md:%d: %s field %q is lost when encoded", ex.line, ex.typ, k)
			}
		}
		if id := reflect.ValueOf(v).Elem().FieldByName("ID"); id.IsValid() && id.String() == "" {
			t.Errorf("docs/events.md:%d: %s example has no id", ex.line, ex.typ)
		}
	}
	for typ := range docTypes {
		if !seen[typ] {
			t.Errorf("docs/events.md has no example of %s", typ)
		}
	}
}

func TestEventsDocListsEveryFrameHeader(t *testing.T) {
	data, err := os.ReadFile("../docs/events.md")
	if err != nil {
		t.Fatal(err)
	}
	srv := bustest.Server(t)
	pub, sub := bustest.Conn(t, srv, "pub"), bustest.Conn(t, srv, "sub")
	q, err := bus.SubscribeRaw(sub, bus.AllFrames, bus.QueueConfig{Name: "raw"})
	if err != nil {
		t.Fatal(err)
	}
	sub.Flush()
	if err := pub.PublishFrame(validFrame()); err != nil {
		t.Fatal(err)
	}
	msg := bustest.Next(t, q, 2*time.Second)
	for name := range msg.Header {
		if !strings.Contains(string(data), "`"+name+"`") {
			t.Errorf("docs/events.md does not document frame header %s", name)
		}
	}
	if len(msg.Header) == 0 {
		t.Fatal("frame carried no headers")
	}
}
