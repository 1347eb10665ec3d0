// Package reading reads text aloud: a text reader on Tesseract 5 that reads the text in camera
// frames, keeps what reads as text, and says only what is new. It runs as the describer
// (--backend ocr, registered with package inference) or beside any describer (--read-text, its
// own stage on the frames). See docs/reading.md.
package reading

import (
	"context"
	"errors"
	"fmt"
	"image"
	"log/slog"
	"math"
	"slices"
	"sync"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/recent"
)

// ErrNotBuilt is returned by New in builds without the reader (built with CGO_ENABLED=0).
var ErrNotBuilt = errors.New("the text reader is not built into this program (it needs cgo and Tesseract: install libtesseract-dev, e.g. with scripts/install-deps, and build with CGO_ENABLED=1)")

// Config configures a Reader. Zero fields take their defaults in New.
type Config struct {
	// Lang is the Tesseract languages to read, joined with + ("eng+deu"). Default: DefaultLang.
	Lang string
	// MinConfidence is the least confidence (0-100) of a word kept. Default:
	// DefaultMinConfidence.
	MinConfidence float64
	// Forget is how long text is remembered as read: a line read within it is not news.
	// Default: DefaultForget.
	Forget time.Duration
	// Match is the share of a line's characters that may differ from one read for it to count
	// as the same (0-1). Default: DefaultMatch.
	Match float64
	// MaxLines and MaxWords cut what is said unasked, ending it with MoreText. Default:
	// DefaultMaxLines and DefaultMaxWords.
	MaxLines, MaxWords int
	// UpscaleBelow is the long edge in pixels under which a frame is read at twice its size.
	// Default: DefaultUpscaleBelow; inference.Off (any negative): never.
	UpscaleBelow int
	// NoOrientation turns off orientation detection (text on its side or upside down), which
	// is on when Tesseract's osd data is installed. See docs/reading.md.
	NoOrientation bool
	// NoDeskew turns off straightening text turned by more than Tesseract's layout analysis
	// straightens itself (see deskew.go).
	NoDeskew bool
	// Logger is where the reader logs. Default: slog.Default().
	Logger *slog.Logger
}

// maxCameras bounds the cameras whose memory the reader keeps; the least recent goes first.
const maxCameras = 64

// Reader reads frames. It is safe for concurrent use; frames are read one at a time.
type Reader struct {
	cfg    Config
	engine *tesseract
	model  string

	mu       sync.Mutex
	memories *recent.Index[string, *memory] // camera → what it has read recently
	last     *recent.Index[string, Reading] // camera → its last reading with text
	frames   *recent.Index[string, string]  // camera → the last frame read
	lastCam  string                         // the camera read last
}

// Reading is what the reader made of one frame.
type Reading struct {
	Camera     string
	FrameID    string
	CapturedAt time.Time
	// Text is what to say now: the lead and the lines that are news, cut after MaxLines or
	// MaxWords; "" when nothing is new.
	Text string
	// Full is the lead and every line kept, nothing cut: what a read request says. NoText
	// when nothing was kept.
	Full string
	// More reports that Text was cut.
	More bool
	// Lines are the lines kept, in reading order; New those of them that are news.
	Lines, New []Line
	// Words are all the words Tesseract read, kept or not.
	Words []Word
	// Deskew is the skew Tesseract corrected, in degrees.
	Deskew float64
	// Turned is how far the frame was turned clockwise, in degrees, to read its text upright:
	// text seen at an angle, on its side or upside down (docs/reading.md); 0 when read as is.
	Turned float64
	// At is when the frame was read; Took how long reading it took.
	At   time.Time
	Took time.Duration
}

// New loads Tesseract with cfg.Lang. A missing language is refused with the package to install.
func New(cfg Config) (*Reader, error) {
	if cfg.Lang == "" {
		cfg.Lang = DefaultLang
	}
	if cfg.MinConfidence == 0 {
		cfg.MinConfidence = DefaultMinConfidence
	}
	if cfg.Forget == 0 {
		cfg.Forget = DefaultForget
	}
	if cfg.Match == 0 {
		cfg.Match = DefaultMatch
	}
	if cfg.MaxLines == 0 {
		cfg.MaxLines = DefaultMaxLines
	}
	if cfg.MaxWords == 0 {
		cfg.MaxWords = DefaultMaxWords
	}
	if cfg.UpscaleBelow == 0 {
		cfg.UpscaleBelow = DefaultUpscaleBelow
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if !Built {
		return nil, ErrNotBuilt
	}
	osd := false
	if !cfg.NoOrientation {
		if osd = slices.Contains(installedLanguages(), "osd"); !osd {
			cfg.Logger.Warn("text on its side or upside down will not be read: Tesseract's orientation data (osd) is not installed", "fix", installHint("osd"))
		}
	}
	engine, err := openTesseract(cfg.Lang, osd)
	if err != nil {
		return nil, err
	}
	return &Reader{
		cfg: cfg, engine: engine, model: "tesseract-" + Version() + "-" + cfg.Lang,
		memories: recent.New[string, *memory](maxCameras), last: recent.New[string, Reading](maxCameras),
		frames: recent.New[string, string](maxCameras),
	}, nil
}

func (c Config) validate() error {
	switch {
	case c.MinConfidence < 0 || c.MinConfidence > 100 || math.IsNaN(c.MinConfidence):
		return fmt.Errorf("reading: confidence %v: use 0-100", c.MinConfidence)
	case c.Forget < 0:
		return fmt.Errorf("reading: forget %s: use a positive duration", c.Forget)
	case c.Match < 0 || c.Match >= 1 || math.IsNaN(c.Match):
		return fmt.Errorf("reading: match %v: use 0 up to 1", c.Match)
	case c.MaxLines < 0 || c.MaxWords < 0:
		return fmt.Errorf("reading: max lines %d, words %d: use positive numbers", c.MaxLines, c.MaxWords)
	}
	return checkLanguageSyntax(c.Lang)
}

// Model names the engine in descriptions: "tesseract-5.3.0-eng".
func (r *Reader) Model() string { return r.model }

// Close releases Tesseract.
func (r *Reader) Close() error {
	r.engine.close()
	return nil
}

// Read reads f's text and says what is news to its camera at now.
func (r *Reader) Read(ctx context.Context, f bus.Frame, now time.Time) (Reading, error) {
	start := time.Now()
	g, err := decodeGrey(f.JPEG)
	if err != nil {
		return Reading{}, err
	}
	prepared := prepare(g, r.cfg.UpscaleBelow)
	p, err := r.recognize(ctx, prepared.img)
	if err != nil {
		return Reading{}, err
	}
	for i := range p.words { // back to the frame's pixels
		p.words[i].Box = unscale(p.words[i].Box, prepared.scale).Add(g.Bounds().Min)
	}
	rd := r.say(f, p, g.Bounds().Dy(), now)
	rd.Took = time.Since(start)
	return rd, nil
}

// say turns what the engine read into a Reading, and remembers it.
func (r *Reader) say(f bus.Frame, p page, height int, now time.Time) Reading {
	lines := keepLines(p.words, r.cfg.MinConfidence)
	rd := Reading{Camera: f.Camera, FrameID: f.ID, CapturedAt: f.CapturedAt, Lines: lines, Words: p.words, Deskew: p.deskew * 180 / math.Pi, Turned: p.turned, At: now, Full: NoText}
	if len(lines) > 0 {
		rd.Full, _ = compose(lead(lines, height), lines, 0, 0)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.frames.Put(f.Camera, f.ID)
	r.lastCam = f.Camera
	m, ok := r.memories.Get(f.Camera)
	if !ok {
		m = &memory{}
		r.memories.Put(f.Camera, m)
	}
	rd.New = m.fresh(lines, now, r.cfg.Forget, r.cfg.Match)
	if len(rd.New) > 0 {
		rd.Text, rd.More = compose(lead(rd.New, height), rd.New, r.cfg.MaxLines, r.cfg.MaxWords)
	}
	if len(lines) > 0 {
		r.last.Put(f.Camera, rd)
	}
	return rd
}

// Last is the last reading of camera that kept text, if it was read within Forget of now: what
// a read request says in full. camera "" means whichever camera read text last.
func (r *Reader) Last(camera string, now time.Time) (Reading, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	var rd Reading
	var ok bool
	if camera == "" {
		for _, v := range r.last.All() {
			if !ok || v.At.After(rd.At) {
				rd, ok = v, true
			}
		}
	} else {
		rd, ok = r.last.Get(camera)
	}
	if !ok || now.Sub(rd.At) > r.cfg.Forget {
		return Reading{}, false
	}
	return rd, true
}

// lastFrame is the camera ("" for the one read last) and id of the last frame read.
func (r *Reader) lastFrame(camera string) (cam, frame string, ok bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if camera == "" {
		camera = r.lastCam
	}
	frame, ok = r.frames.Get(camera)
	return camera, frame, ok
}

func unscale(b image.Rectangle, scale float64) image.Rectangle {
	if scale == 1 {
		return b
	}
	f := func(v int) int { return int(math.Round(float64(v) / scale)) }
	return image.Rect(f(b.Min.X), f(b.Min.Y), f(b.Max.X), f(b.Max.Y))
}

// WordMeta is one word in a reading's metadata (Description.Metadata "words").
type WordMeta struct {
	Text string  `json:"text"`
	Conf float64 `json:"conf"`
	// Box is the word's bounding box in the frame's pixels: left, top, right, bottom.
	Box  [4]int `json:"box"`
	Line int    `json:"line"`
	// Kept is false for words dropped as unsure or as noise.
	Kept bool `json:"kept"`
}

// Metadata is what a reading's description carries besides its text (see docs/events.md).
func (rd Reading) Metadata() map[string]any {
	kept := map[[2]int]bool{}
	lines := []string{}
	for _, l := range rd.Lines {
		lines = append(lines, l.Text)
		for _, w := range l.Words {
			kept[[2]int{w.Line, w.Box.Min.X<<16 | w.Box.Min.Y}] = true
		}
	}
	news := []string{}
	for _, l := range rd.New {
		news = append(news, l.Text)
	}
	words := make([]WordMeta, 0, len(rd.Words))
	for _, w := range rd.Words {
		words = append(words, WordMeta{
			Text: w.Text, Conf: math.Round(w.Conf*10) / 10, Line: w.Line,
			Box:  [4]int{w.Box.Min.X, w.Box.Min.Y, w.Box.Max.X, w.Box.Max.Y},
			Kept: kept[[2]int{w.Line, w.Box.Min.X<<16 | w.Box.Min.Y}],
		})
	}
	return map[string]any{
		"words": words, "lines": lines, "new_lines": news, "more": rd.More,
		bus.MetaReadingFull: rd.Full, "deskew_deg": math.Round(rd.Deskew*10) / 10,
		"turned_deg": math.Round(rd.Turned*10) / 10,
		"read_ms":    float64(rd.Took.Microseconds()) / 1000,
	}
}
