package procgroup

import (
	"bytes"
	"strings"
	"sync"
)

// maxLine is where a line that never ends is cut.
const maxLine = 64 << 10

// Tail is an io.Writer for a subprocess's stderr that keeps its last lines: the process's last
// words, for the error that reports its end. Lines end at \n or \r (progress bars redraw with
// \r); each is trimmed and blank ones are skipped; a line that never ends is cut at 64 KiB.
// The zero value keeps one line. It is safe for concurrent use.
type Tail struct {
	// Lines is how many lines it keeps; 0 keeps one.
	Lines int
	// OnLine, when set, is called with each complete line as it arrives (to log it, say).
	OnLine func(line string)

	mu      sync.Mutex
	lines   []string
	partial []byte
}

// Write keeps p's complete lines and holds an unfinished one for the next Write.
func (t *Tail) Write(p []byte) (int, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.partial = append(t.partial, p...)
	for {
		i := bytes.IndexAny(t.partial, "\r\n")
		if i < 0 {
			break
		}
		t.add(string(t.partial[:i]))
		t.partial = t.partial[i+1:]
	}
	if len(t.partial) > maxLine {
		t.add(string(t.partial))
		t.partial = t.partial[:0]
	}
	return len(p), nil
}

func (t *Tail) add(line string) {
	line = strings.TrimSpace(line)
	if line == "" {
		return
	}
	if t.OnLine != nil {
		t.OnLine(line)
	}
	if len(t.lines) >= max(1, t.Lines) {
		t.lines = t.lines[1:]
	}
	t.lines = append(t.lines, line)
}

// LastLines returns the lines kept, oldest first, with an unfinished last line at the end.
func (t *Tail) LastLines() []string {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := append([]string(nil), t.lines...)
	if p := strings.TrimSpace(string(t.partial)); p != "" {
		out = append(out, p)
		if len(out) > max(1, t.Lines) {
			out = out[1:]
		}
	}
	return out
}

// String returns the lines kept, one a line.
func (t *Tail) String() string { return strings.Join(t.LastLines(), "\n") }

// OneLine returns the lines kept on one line, separated by " | ", for an error message.
func (t *Tail) OneLine() string { return strings.Join(t.LastLines(), " | ") }
