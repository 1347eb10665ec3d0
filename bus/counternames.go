package bus

import (
	"slices"
	"strings"
)

// Names of the counters the stages keep in their Counters. They cross the bus in every
// process's stats (SubjectStats), metrics exports them and the bench reads them, so each name
// is written once, here. A bounded queue adds its own, named after the queue: NAME.dropped and
// NAME.invalid.
const (
	CounterAnnounceSaid     = "announce.said"
	CounterAnnounceWithheld = "announce.withheld"

	CounterCaptureFramesFailed       = "capture.frames.failed"
	CounterCaptureFramesInvalid      = "capture.frames.invalid"
	CounterCaptureFramesStale        = "capture.frames.stale"
	CounterCaptureFramesRead         = "capture.frames_read"
	CounterCaptureFramesSent         = "capture.frames_sent"
	CounterCaptureFramesSuperseded   = "capture.frames_superseded"
	CounterCaptureFramesUnchanged    = "capture.frames_unchanged"
	CounterCaptureSourceReopenFailed = "capture.source_reopen.failed"
	CounterCaptureSourceRestarts     = "capture.source_restarts"

	CounterInferenceCancelled          = "inference.cancelled"
	CounterInferenceDescribed          = "inference.described"
	CounterInferenceFailed             = "inference.failed"
	CounterInferenceFramesDropped      = "inference.frames.dropped"
	CounterInferenceFramesRedelivered  = "inference.frames.redelivered"
	CounterInferenceFramesStale        = "inference.frames.stale"
	CounterInferenceWorkInvalid        = "inference.work.invalid"
	CounterInferenceWorkerCrashes      = "inference.worker.crashes"
	CounterInferenceWorkerRestarts     = "inference.worker.restarts"
	CounterInferenceWorkerTimeouts     = "inference.worker.timeouts"
	CounterInferenceWorkerLinesInvalid = "inference.worker_lines.invalid"

	CounterNarratorControlsInvalid = "narrator.controls.invalid"
	CounterNarratorCuesInvalid     = "narrator.cues.invalid"
	CounterNarratorSpoken          = "narrator.spoken"
	CounterNarratorStale           = "narrator.stale"
	CounterNarratorSuppressed      = "narrator.suppressed"

	CounterSpeechControlsInvalid = "speech.controls.invalid"
	CounterSpeechEarcons         = "speech.earcons"
	CounterSpeechFailed          = "speech.failed"
	CounterSpeechFailovers       = "speech.failovers" // the output in use failed and the next took over
	CounterSpeechRecovered       = "speech.recovered" // the first output plays again and took back over
	CounterSpeechSpoken          = "speech.spoken"
	CounterSpeechStale           = "speech.stale"
	CounterSpeechSuperseded      = "speech.superseded"

	// CounterWebClientDropped counts events a slow browser's full queue gave up (the page
	// resynchronises from the history).
	CounterWebClientDropped = "web.client.dropped"
	// CounterWebCaptionsDropped counts the oldest spoken lines forgotten by /captions.vtt and
	// /captions.srt once they keep their maximum.
	CounterWebCaptionsDropped = "web.captions.dropped"
	// CounterWebControls counts the controls the page sent; CounterWebControlsInvalid those
	// refused before reaching the bus.
	CounterWebControls        = "web.controls"
	CounterWebControlsInvalid = "web.controls.invalid"
)

// Names of the gauges (Counters.Gauge): current values, published in Stats.Gauges.
const (
	// GaugeCaptureInterval is the least time, in milliseconds, between two frames capture
	// sends now (novelty-aware sampling).
	GaugeCaptureInterval = "capture.interval_ms"
)

// Per-camera inference outcomes: the last token of an InferenceCameraCounter name. Every frame
// the inference stage took for a camera (sent) ends described, superseded (a newer frame of the
// same camera replaced it while it waited, or cut its generation short) or dropped (older than
// --max-age, failed, or no room), or is still waiting.
const (
	CameraSent       = "sent"
	CameraDescribed  = "described"
	CameraSuperseded = "superseded"
	CameraDropped    = "dropped"
)

// CameraOutcomes lists the per-camera outcomes in their order: sent, described, superseded,
// dropped.
var CameraOutcomes = []string{CameraSent, CameraDescribed, CameraSuperseded, CameraDropped}

// inferenceCameraPrefix starts every per-camera inference counter.
const inferenceCameraPrefix = "inference.camera."

// InferenceCameraCounter is the name of camera's counter of outcome (CameraSent, …):
// inference.camera.CAMERA.OUTCOME.
func InferenceCameraCounter(camera, outcome string) string {
	return inferenceCameraPrefix + camera + "." + outcome
}

// ParseInferenceCameraCounter splits a name InferenceCameraCounter made; ok is false for any
// other name.
func ParseInferenceCameraCounter(name string) (camera, outcome string, ok bool) {
	rest, found := strings.CutPrefix(name, inferenceCameraPrefix)
	if !found {
		return "", "", false
	}
	i := strings.LastIndexByte(rest, '.')
	if i <= 0 || i == len(rest)-1 {
		return "", "", false
	}
	camera, outcome = rest[:i], rest[i+1:]
	if ValidateCamera(camera) != nil || !slices.Contains(CameraOutcomes, outcome) {
		return "", "", false
	}
	return camera, outcome, true
}
