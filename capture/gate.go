package capture

import (
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Gate decides which frames are worth sending: the first, every real scene change, and an
// unchanged scene again after the heartbeat. It is not safe for concurrent use.
type Gate struct {
	// Threshold is the hash distance (of 64 bits) that counts as a scene change. Default: 10.
	Threshold int
	// LumaThreshold is the change of mean luma (0-255) that counts as a scene change. Default: 24.
	LumaThreshold int
	// Heartbeat re-sends an unchanged scene after this long; 0 never does. Default set by the stage.
	Heartbeat time.Duration

	last     Signature
	lastSent time.Time
	started  bool
}

// Check compares sig with the last frame sent and says whether to send this one, why, and the
// hash distance. A frame that is sent becomes the new reference.
func (g *Gate) Check(sig Signature, now time.Time) (send bool, reason string, distance int) {
	threshold, lumaThreshold := g.Threshold, g.LumaThreshold
	if threshold <= 0 {
		threshold = 10
	}
	if lumaThreshold <= 0 {
		lumaThreshold = 24
	}
	distance = sig.Distance(g.last)
	switch {
	case !g.started:
		reason = bus.FrameFirst
	case distance >= threshold || sig.LumaDelta(g.last) >= lumaThreshold:
		reason = bus.FrameChanged
	case g.Heartbeat > 0 && now.Sub(g.lastSent) >= g.Heartbeat:
		reason = bus.FrameHeartbeat
	default:
		return false, "", distance
	}
	g.started, g.last, g.lastSent = true, sig, now
	return true, reason, distance
}
