package bus

import "time"

// AllSources matches the source events of every camera.
const AllSources = Prefix + "." + KindSources + ".*"

// SourceSubject is the subject a camera's source events are published on.
func SourceSubject(camera string) string { return cameraSubject(KindSources, camera) }

// Source states.
const (
	SourceUp    = "up"    // the source is open and delivering frames (at start, and after an outage)
	SourceDown  = "down"  // the source failed; the capture stage is reopening it
	SourceEnded = "ended" // the source ended normally (a file played to its end)
	// SourceFailed: the source cannot be opened (again), and retrying cannot help (no such
	// file, not a video); this camera has stopped, the others keep running.
	SourceFailed = "failed"
)

// SourceEvent reports a camera's source going up, down or ending, on SourceSubject(camera).
// The rest of the pipeline keeps running while a source is down.
type SourceEvent struct {
	ID     string `json:"id"`
	Camera string `json:"camera"`
	State  string `json:"state"`  // SourceUp, SourceDown, SourceEnded or SourceFailed
	Source string `json:"source"` // what the source is, e.g. "ffmpeg rtsp://cam.local/stream at 1280x720"
	Error  string `json:"error,omitempty"`
	// RetryInMS is, on down, how long until the first reopen attempt.
	RetryInMS int64 `json:"retry_in_ms,omitempty"`
	// Attempt is, on up after an outage, how many reopen attempts it took.
	Attempt int `json:"attempt,omitempty"`
	// DownForMS is, on up after an outage, how long the source was down.
	DownForMS float64   `json:"down_for_ms,omitempty"`
	At        time.Time `json:"at"`
}
