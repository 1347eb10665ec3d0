package bus

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
	CounterSpeechSpoken          = "speech.spoken"
	CounterSpeechStale           = "speech.stale"
	CounterSpeechSuperseded      = "speech.superseded"
)

// Names of the gauges (Counters.Gauge): current values, published in Stats.Gauges.
const (
	// GaugeCaptureInterval is the least time, in milliseconds, between two frames capture
	// sends now (novelty-aware sampling).
	GaugeCaptureInterval = "capture.interval_ms"
)
