package speech

import (
	"testing"

	"github.com/narrator-dev/narrator/bus"
)

func TestDefaultEarconRules(t *testing.T) {
	rules := map[Earcon]EarconRule{}
	for _, r := range DefaultEarconRules() {
		rules[r.Earcon] = r
	}
	cases := []struct {
		earcon Earcon
		msg    bus.Message
		want   bool
	}{
		{EarconNewScene, bus.Message{Subject: bus.FrameSubject("cam0"), Frame: bus.Frame{Reason: bus.FrameChanged}}, true},
		{EarconNewScene, bus.Message{Subject: bus.FrameSubject("cam0"), Frame: bus.Frame{Reason: bus.FrameHeartbeat}}, false},
		{EarconNewScene, bus.Message{Subject: bus.FrameSubject("cam0"), Frame: bus.Frame{Reason: bus.FrameChanged}, FrameErr: bus.ErrBadFrame}, false},
		{EarconThinking, bus.Message{Data: []byte(`{"partial":true,"request_id":"r1"}`)}, true},
		{EarconThinking, bus.Message{Data: []byte(`{"partial":true}`)}, false},
		{EarconCameraLost, bus.Message{Data: []byte(`{"state":"down"}`)}, true},
		{EarconCameraLost, bus.Message{Data: []byte(`{"state":"up"}`)}, false},
		{EarconModelDown, bus.Message{Data: []byte(`{"state":"restarting"}`)}, true},
		{EarconModelDown, bus.Message{Data: []byte(`not json`)}, false},
	}
	for _, c := range cases {
		r, ok := rules[c.earcon]
		if !ok {
			t.Fatalf("no default rule plays %s", c.earcon)
		}
		if _, got := r.Match(c.msg); got != c.want {
			t.Errorf("%s rule on %+v: %v, want %v", c.earcon, c.msg, got, c.want)
		}
	}
}
