package capture

import (
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// Gate defaults.
const (
	DefaultThreshold       = 10
	DefaultLumaThreshold   = 24
	DefaultChromaThreshold = 12
	DefaultCellDelta       = 24
	DefaultCellCount       = 2
)

// Gate decides which frames are worth sending: the first, every real scene change, and an
// unchanged scene again after the heartbeat. A frame is a scene change when any of these holds
// against the reference (the last frame accepted):
//   - its dHash differs in at least Threshold bits (the picture's structure changed);
//   - its mean luma moved by at least LumaThreshold (the lights went off or on);
//   - its mean chroma moved by at least ChromaThreshold (the scene was recoloured);
//   - at least CellCount of its 72 cells moved, in luma and chroma together, by CellDelta levels
//     more than the whole frame did, plus three times the cell's usual jitter from one frame to
//     the next (something appeared in one place; a flicker of the whole frame moves no cell, and
//     a cell full of heavy noise, like the test pattern's noise block, raises its own bar).
//
// Sensor noise moves none of these: each is a mean over many samples.
// It is not safe for concurrent use.
type Gate struct {
	// Threshold is the hash distance (of 64 bits) that counts as a scene change. Default: 10.
	Threshold int
	// LumaThreshold is the change of mean luma (0-255) that counts as a scene change. Default: 24.
	LumaThreshold int
	// ChromaThreshold is the change of mean Cb plus mean Cr that counts as a scene change. Default: 12.
	ChromaThreshold int
	// CellDelta is how far a cell's mean luma and chroma must move, summed, to count as changed.
	// Default: 24.
	CellDelta int
	// CellCount is how many changed cells count as a scene change. Default: 2.
	CellCount int
	// Heartbeat re-sends an unchanged scene after this long; 0 never does.
	Heartbeat time.Duration

	prev     Signature      // the last frame checked
	checked  int            // frames checked, up to 2
	jitter   [cellCount]int // per cell, moving average of its change between frames, in 1/16 levels
	ref      Signature      // the last frame accepted
	refAt    time.Time      // when it was accepted
	sent     Signature      // the last frame published, what Revert goes back to
	sentAt   time.Time
	started  bool // a frame was accepted
	anySent  bool // a frame was published
	defaults bool
}

func (g *Gate) fillDefaults() {
	if g.defaults {
		return
	}
	g.defaults = true
	def := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&g.Threshold, DefaultThreshold)
	def(&g.LumaThreshold, DefaultLumaThreshold)
	def(&g.ChromaThreshold, DefaultChromaThreshold)
	def(&g.CellDelta, DefaultCellDelta)
	def(&g.CellCount, DefaultCellCount)
}

// Large reports whether sig differs from the reference far more than a moving scene does from
// one frame to the next: its hash by at least twice Threshold (motion moves it by about
// Threshold between accepted frames; a cut to another scene by 25 or more), or its mean luma or
// chroma past their thresholds (the lights, the colours). Call it before Check, which moves
// the reference.
func (g *Gate) Large(sig Signature) bool {
	g.fillDefaults()
	return g.started && (sig.Distance(g.ref) >= 2*g.Threshold || sig.LumaDelta(g.ref) >= g.LumaThreshold ||
		sig.ChromaDelta(g.ref) >= g.ChromaThreshold)
}

// Check compares sig with the reference and says whether to send this frame, why, and the hash
// distance. A frame that is to be sent becomes the new reference.
func (g *Gate) Check(sig Signature, now time.Time) (send bool, reason string, distance int) {
	g.fillDefaults()
	distance = sig.Distance(g.ref)
	cells := g.cellsChanged(sig)
	switch {
	case !g.started:
		reason, distance = bus.FrameFirst, 0
	case distance >= g.Threshold || sig.LumaDelta(g.ref) >= g.LumaThreshold ||
		sig.ChromaDelta(g.ref) >= g.ChromaThreshold || cells >= g.CellCount:
		reason = bus.FrameChanged
	case g.Heartbeat > 0 && now.Sub(g.refAt) >= g.Heartbeat:
		reason = bus.FrameHeartbeat
	default:
		return false, "", distance
	}
	g.started, g.ref, g.refAt = true, sig, now
	return true, reason, distance
}

// cellsChanged counts the cells of sig that moved from the reference by more than CellDelta
// plus three times their jitter, then updates the jitter with the change from the last frame.
// Until the jitter has been measured once (the second frame), no cell counts as changed.
func (g *Gate) cellsChanged(sig Signature) int {
	n := 0
	for i := range cellCount {
		if g.checked >= 2 && sig.cellDelta(g.ref, i) >= g.CellDelta+3*g.jitter[i]/16 {
			n++
		}
		if g.checked == 1 {
			g.jitter[i] = 16 * sig.cellDelta(g.prev, i) // the first measure of it
		} else if g.checked > 1 {
			g.jitter[i] += (16*sig.cellDelta(g.prev, i) - g.jitter[i]) / 8
		}
	}
	g.prev = sig
	g.checked = min(g.checked+1, 2)
	return n
}

// Sent records that the frame with sig was published at now.
func (g *Gate) Sent(sig Signature, now time.Time) {
	g.sent, g.sentAt, g.anySent = sig, now, true
}

// Revert makes the last frame published the reference again, after an accepted frame was
// dropped unsent (it went stale), so the scene it showed is sent when seen next.
func (g *Gate) Revert() {
	g.started, g.ref, g.refAt = g.anySent, g.sent, g.sentAt
}
