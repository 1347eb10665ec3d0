package speech

import (
	"math"
	"time"
)

// Earcon names a short tone that tells the listener something without words.
type Earcon string

// The earcons. Each is generated in code (see EarconPCM) and lasts at most a quarter second.
const (
	EarconReady      Earcon = "ready"       // two rising notes: the audio output works (the start-up check)
	EarconNewScene   Earcon = "new_scene"   // one soft high ping: the camera sees a new scene
	EarconThinking   Earcon = "thinking"    // two quick ticks: a describe or ask request is being answered
	EarconCameraLost Earcon = "camera_lost" // a falling sweep: the camera stopped delivering frames
	EarconModelDown  Earcon = "model_down"  // a low double buzz: the model worker is restarting or failed
	EarconPaused     Earcon = "paused"      // two falling notes: speech is paused until resume
	EarconAudioError Earcon = "audio_error" // a low falling pair: the chosen audio device cannot be used
)

// Earcons lists every earcon.
var Earcons = []Earcon{EarconReady, EarconNewScene, EarconThinking, EarconCameraLost, EarconModelDown, EarconPaused, EarconAudioError}

// note is one tone of an earcon: a frequency sweep from -> to over dur, then a gap of silence.
type note struct {
	from, to float64 // Hz
	dur, gap time.Duration
	amp      float64 // 0-1
}

var earconNotes = map[Earcon][]note{
	EarconReady:      {{523, 523, 60 * time.Millisecond, 20 * time.Millisecond, 0.3}, {784, 784, 80 * time.Millisecond, 0, 0.3}},
	EarconNewScene:   {{1318, 1318, 90 * time.Millisecond, 0, 0.25}},
	EarconThinking:   {{660, 660, 35 * time.Millisecond, 45 * time.Millisecond, 0.3}, {660, 660, 35 * time.Millisecond, 0, 0.3}},
	EarconCameraLost: {{880, 330, 250 * time.Millisecond, 0, 0.3}},
	EarconModelDown:  {{196, 196, 90 * time.Millisecond, 50 * time.Millisecond, 0.35}, {196, 196, 90 * time.Millisecond, 0, 0.35}},
	EarconPaused:     {{784, 784, 80 * time.Millisecond, 20 * time.Millisecond, 0.3}, {523, 523, 110 * time.Millisecond, 0, 0.3}},
	EarconAudioError: {{330, 330, 100 * time.Millisecond, 30 * time.Millisecond, 0.35}, {220, 220, 110 * time.Millisecond, 0, 0.35}},
}

// EarconPCM generates the earcon at rate Hz; an unknown earcon is silent and empty.
func EarconPCM(e Earcon, rate int) PCM {
	p := PCM{Rate: rate}
	const ramp = 5 * time.Millisecond // fade in and out, so no clicks
	for _, n := range earconNotes[e] {
		count := int(n.dur.Seconds() * float64(rate))
		rampN := int(ramp.Seconds() * float64(rate))
		phase := 0.0
		for i := range count {
			f := n.from + (n.to-n.from)*float64(i)/float64(count)
			phase += 2 * math.Pi * f / float64(rate)
			env := 1.0
			if i < rampN {
				env = float64(i) / float64(rampN)
			} else if count-i < rampN {
				env = float64(count-i) / float64(rampN)
			}
			p.Samples = append(p.Samples, int16(n.amp*env*math.Sin(phase)*math.MaxInt16))
		}
		p.Samples = append(p.Samples, make([]int16, int(n.gap.Seconds()*float64(rate)))...)
	}
	return p
}

// Silence returns d of silence at rate Hz.
func Silence(d time.Duration, rate int) PCM {
	return PCM{Rate: rate, Samples: make([]int16, int(d.Seconds()*float64(rate)))}
}
