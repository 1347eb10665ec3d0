package bench

import (
	"math"
	"slices"
	"time"
)

// Trace is what one run recorded, on one clock: the ground truth of the scene changes and what
// the narrator (or the naive loop) did about them.
type Trace struct {
	// Scenes are the instants each scene began; Scenes[0] is the first scene, every later one
	// is a change. A scene lasts until the next begins, the last until End.
	Scenes []time.Time
	// End is when the run stopped.
	End time.Time
	// Inferences are the model calls.
	Inferences []Inference
	// Spoken are the utterances whose audio started.
	Spoken []Spoken
	// Overhead is the Go process's own time per frame (see docs/performance.md): OverheadIn
	// (capture to the model's call) plus, for a frame that was spoken, OverheadOut (its text
	// to the audio's start).
	Overhead, OverheadIn, OverheadOut []time.Duration
	// CPU is the process's user+system CPU time during the run.
	CPU time.Duration
	// PeakRSS is the process's peak resident set size at the end of the run, in bytes.
	PeakRSS int64
	// FramesRead counts the frames the source delivered.
	FramesRead uint64
	// FramesSent counts the frames capture published (the pipeline only).
	FramesSent uint64
}

// Inference is one model call.
type Inference struct {
	CapturedAt time.Time // when the frame was captured
	Start      time.Time // when the model was called
	FirstToken time.Time // zero if it produced none
	Cancelled  bool
	Unfinished bool // still running when the run stopped
	Heartbeat  bool // the frame was a heartbeat of an unchanged scene
}

// Spoken is one utterance whose audio started.
type Spoken struct {
	CapturedAt  time.Time // of the frame it describes
	Description string    // id of the description it came from
	At          time.Time // when the audio started
}

// ChangeResult is the reaction to one scene change.
type ChangeResult struct {
	Scene int `json:"scene"`
	// AtS is when the scene began, in seconds since the run started.
	AtS float64 `json:"at_s"`
	// The stages of the reaction, in milliseconds from the change; null when it never came.
	FrameMS     *float64 `json:"frame_ms"`     // the first frame of the new scene reached the model's input
	InferenceMS *float64 `json:"inference_ms"` // the model started on it
	DescribedMS *float64 `json:"described_ms"` // its first token
	ReactionMS  *float64 `json:"reaction_ms"`  // the first audio about the new scene: the reaction time
	Inferences  int      `json:"inferences"`   // model calls on frames of this scene, finished
	Cancelled   int      `json:"cancelled"`    // model calls on frames of this scene, cancelled
	Repeats     int      `json:"repeats"`      // utterances about this scene after the first description spoken
}

// Totals sums up a run.
type Totals struct {
	Changes       int     `json:"changes"`
	Reacted       int     `json:"reacted"` // changes followed by audio about the new scene
	ReactionP50MS float64 `json:"reaction_p50_ms"`
	ReactionMaxMS float64 `json:"reaction_max_ms"`
	DescribedP50  float64 `json:"described_p50_ms"`
	Inferences    int     `json:"inferences"`
	Cancelled     int     `json:"cancelled"`
	// Extra counts finished inferences on a scene beyond its first and its heartbeats.
	Extra           int     `json:"extra_inferences"`
	Repeats         int     `json:"repeats_spoken"`
	Spoken          int     `json:"utterances_spoken"`
	OverheadP50MS   float64 `json:"overhead_p50_ms"`
	OverheadP99MS   float64 `json:"overhead_p99_ms"`
	OverheadSamples int     `json:"overhead_samples"`
	OverheadInP50MS float64 `json:"overhead_in_p50_ms"`  // capture to the model's call
	OverheadOutP50  float64 `json:"overhead_out_p50_ms"` // the text to the audio's start
	CPUSeconds      float64 `json:"cpu_seconds"`
	PeakRSSMB       float64 `json:"peak_rss_mb"`
	FramesRead      uint64  `json:"frames_read"`
	FramesSent      uint64  `json:"frames_sent,omitempty"`
}

// Percentile is the nearest-rank p-th percentile (0-100) of ds; 0 for none.
func Percentile(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	rank := int(math.Ceil(p / 100 * float64(len(s))))
	return s[min(max(rank-1, 0), len(s)-1)]
}

// scene is the index of the scene showing at t, or -1 before the first.
func (t Trace) scene(at time.Time) int {
	i, found := slices.BinarySearchFunc(t.Scenes, at, func(s time.Time, at time.Time) int { return s.Compare(at) })
	if found {
		return i
	}
	return i - 1
}

// Analyze computes the reaction to every change and the totals.
func (t Trace) Analyze() ([]ChangeResult, Totals) {
	if len(t.Scenes) == 0 {
		return nil, Totals{}
	}
	start := t.Scenes[0]
	ms := func(d time.Duration) *float64 { v := float64(d.Microseconds()) / 1000; return &v }
	earliest := func(cur *float64, from, at time.Time) *float64 {
		if at.IsZero() {
			return cur
		}
		d := ms(at.Sub(from))
		if cur == nil || *d < *cur {
			return d
		}
		return cur
	}
	perScene := make([]ChangeResult, len(t.Scenes))
	heartbeats := make([]int, len(t.Scenes))
	for i, s := range t.Scenes {
		perScene[i] = ChangeResult{Scene: i, AtS: s.Sub(start).Seconds()}
	}
	var tot Totals
	for _, inf := range t.Inferences {
		i := t.scene(inf.CapturedAt)
		if i < 0 {
			continue
		}
		c := &perScene[i]
		switch {
		case inf.Unfinished:
		case inf.Cancelled:
			c.Cancelled++
			tot.Cancelled++
		default:
			c.Inferences++
			tot.Inferences++
			if inf.Heartbeat {
				heartbeats[i]++
			}
		}
		c.FrameMS = earliest(c.FrameMS, t.Scenes[i], inf.CapturedAt)
		c.InferenceMS = earliest(c.InferenceMS, t.Scenes[i], inf.Start)
		c.DescribedMS = earliest(c.DescribedMS, t.Scenes[i], inf.FirstToken)
	}
	firstDesc := make([]string, len(t.Scenes))
	spoken := slices.Clone(t.Spoken)
	slices.SortFunc(spoken, func(a, b Spoken) int { return a.At.Compare(b.At) })
	for _, sp := range spoken {
		i := t.scene(sp.CapturedAt)
		if i < 0 {
			continue
		}
		tot.Spoken++
		c := &perScene[i]
		c.ReactionMS = earliest(c.ReactionMS, t.Scenes[i], sp.At)
		switch {
		case firstDesc[i] == "":
			firstDesc[i] = sp.Description
		case sp.Description != firstDesc[i]:
			c.Repeats++
			tot.Repeats++
		}
	}
	var reactions, described []time.Duration
	for i := range perScene {
		tot.Extra += max(0, perScene[i].Inferences-1-heartbeats[i])
		if i == 0 {
			continue
		}
		tot.Changes++
		if r := perScene[i].ReactionMS; r != nil {
			tot.Reacted++
			reactions = append(reactions, time.Duration(*r*float64(time.Millisecond)))
		}
		if d := perScene[i].DescribedMS; d != nil {
			described = append(described, time.Duration(*d*float64(time.Millisecond)))
		}
	}
	msf := func(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
	tot.ReactionP50MS = msf(Percentile(reactions, 50))
	tot.ReactionMaxMS = msf(Percentile(reactions, 100))
	tot.DescribedP50 = msf(Percentile(described, 50))
	tot.OverheadP50MS = msf(Percentile(t.Overhead, 50))
	tot.OverheadP99MS = msf(Percentile(t.Overhead, 99))
	tot.OverheadSamples = len(t.Overhead)
	tot.OverheadInP50MS = msf(Percentile(t.OverheadIn, 50))
	tot.OverheadOutP50 = msf(Percentile(t.OverheadOut, 50))
	tot.CPUSeconds = t.CPU.Seconds()
	tot.PeakRSSMB = float64(t.PeakRSS) / (1 << 20)
	tot.FramesRead, tot.FramesSent = t.FramesRead, t.FramesSent
	return perScene[1:], tot
}
