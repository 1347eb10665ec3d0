package speech

// OutputDevice is an audio output PortAudio can play on.
type OutputDevice struct {
	// Name is what --audio-device takes.
	Name string `json:"name"`
	// HostAPI is the audio system that offers it ("ALSA", "Core Audio").
	HostAPI    string  `json:"host_api"`
	Channels   int     `json:"channels"`
	SampleRate float64 `json:"sample_rate"`
	// Default is true for the system's default output.
	Default bool `json:"default"`
}
