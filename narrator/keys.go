package narrator

import "github.com/narrator-dev/narrator/bus"

// Key is what one key press asks for: a control to send, or to quit.
type Key struct {
	Control bus.Control // Command is empty when the key sends nothing
	Quit    bool
}

// KeyReader turns the bytes a terminal in cbreak mode sends into key presses. Escape sequences
// (arrow, function and navigation keys: ESC [ … final byte, ESC O x) are skipped whole, so their
// bytes are not taken for keys; a sequence split across reads is still skipped. The keys are
// listed in docs/accessibility.md and said by the spoken help.
type KeyReader struct {
	esc int // 0: not in a sequence; 1: after ESC; 2: in a CSI sequence (ESC [); 3: after ESC O
}

// Read returns what byte b asks for; ok is false for bytes that are not keys (or are part of an
// escape sequence). paused is whether narration is paused now: p resumes it then.
func (r *KeyReader) Read(b byte, paused bool) (k Key, ok bool) {
	switch r.esc {
	case 1:
		switch b {
		case '[':
			r.esc = 2
		case 'O':
			r.esc = 3
		case 0x1b: // a new sequence
		default:
			r.esc = 0 // ESC then a key (Alt+key): both ignored
		}
		return Key{}, false
	case 2:
		if b >= 0x40 && b <= 0x7e {
			r.esc = 0
		}
		return Key{}, false
	case 3:
		r.esc = 0
		return Key{}, false
	}
	control := func(cmd string) (Key, bool) { return Key{Control: bus.Control{Command: cmd}}, true }
	switch b {
	case 0x1b:
		r.esc = 1
		return Key{}, false
	case ' ':
		return control(bus.ControlDescribe)
	case 'r', 'R':
		return control(bus.ControlRepeat)
	case 't', 'T':
		return control(bus.ControlRead)
	case 'p', 'P':
		if paused {
			return control(bus.ControlResume)
		}
		return control(bus.ControlPause)
	case 's', 'S':
		return control(bus.ControlStop)
	case '+', '=':
		return Key{Control: bus.Control{Command: bus.ControlVerbosity, Verbosity: "up"}}, true
	case '-', '_':
		return Key{Control: bus.Control{Command: bus.ControlVerbosity, Verbosity: "down"}}, true
	case '.', '>':
		return Key{Control: bus.Control{Command: bus.ControlRate, Value: "up"}}, true
	case ',', '<':
		return Key{Control: bus.Control{Command: bus.ControlRate, Value: "down"}}, true
	case ']':
		return Key{Control: bus.Control{Command: bus.ControlVolume, Value: "up"}}, true
	case '[':
		return Key{Control: bus.Control{Command: bus.ControlVolume, Value: "down"}}, true
	case '?', 'h', 'H':
		return control(bus.ControlHelp)
	case 'q', 'Q':
		return Key{Quit: true}, true
	}
	return Key{}, false
}
