package bus

// Utterance kinds: what an utterance is, in Utterance.Kind and SpeechEvent.Kind. An utterance
// without a kind (from an older publisher) is narration.
const (
	KindNarration    = "narration"    // what the camera sees: descriptions, answers, repeats
	KindAnnouncement = "announcement" // what the narrator itself has to say: start-up, fallbacks, failures, acknowledgements
)

// PriorityAnnouncement is the priority of announcements: after urgent utterances, before
// earcons and ordinary narration, which an announcement interrupts. Announcements are said while
// narration is paused, and a pause or stop does not silence one made after it.
const PriorityAnnouncement = "announcement"

// Announcement topics, in Utterance.Topic and SpeechEvent.Topic: what an announcement is about.
const (
	TopicStartup      = "startup"         // the one-sentence start-up summary
	TopicFallback     = "fallback"        // something asked for or expected is missing; what is used instead, and why
	TopicModelReady   = "model_ready"     // the model finished loading
	TopicModelDown    = "model_down"      // the model stopped answering (or cannot start)
	TopicModelBack    = "model_back"      // the model answers again
	TopicCameraLost   = "camera_lost"     // a camera's source failed; it is being reopened
	TopicCameraBack   = "camera_back"     // a lost camera is back
	TopicCameraEnded  = "camera_ended"    // a file source played to its end
	TopicSpeechFailed = "speech_failed"   // the speech output failed (and what speaks instead)
	TopicSpeechBack   = "speech_back"     // the speech output that failed works again
	TopicCutShort     = "cut_short"       // the run ended before what was in flight was said
	TopicAck          = "acknowledgement" // the answer to a key or control command
	TopicHelp         = "help"            // the spoken list of keys
)
