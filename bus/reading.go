package bus

// Text reading: the text reader (package reading) publishes what it reads as descriptions with
// Backend BackendOCR on the camera's description subject, and answers read requests.
const (
	// BackendOCR is the Description.Backend of the text reader's readings, whether it runs as
	// the describer (--backend ocr) or beside one (--read-text). The narrator says them as
	// written: the reader has already chosen what is new and how much to say.
	BackendOCR = "ocr"
	// SubjectRead carries DescribeRequest requests (Purpose ControlRead) to the text reader:
	// say in full the text read last. It answers each with a DescribeReply, then publishes the
	// reading (with request_id set) on the camera's description subject.
	SubjectRead = Prefix + ".read"
	// ControlRead is the control command that reads the last text in full (the rest after
	// "more text"); the narrator passes it to the text reader on SubjectRead.
	ControlRead = "read"
)

// Metadata keys of a reading (Description.Metadata when Backend is BackendOCR).
const (
	// MetaReadingFull is the whole reading as said on request: every line kept, not only the
	// new ones, nothing cut ("No text." when nothing was read).
	MetaReadingFull = "full"
)

// Counters of the text reader. Its frames queue adds reading.frames.dropped (a newer frame
// replaced one that waited while the reader was busy) and reading.frames.invalid.
const (
	CounterReadingRead   = "reading.read"   // frames read
	CounterReadingSaid   = "reading.said"   // readings with new text to say
	CounterReadingFailed = "reading.failed" // frames the engine could not read
)
