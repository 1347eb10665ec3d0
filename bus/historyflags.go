package bus

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/narrator-dev/narrator/internal/datadir"
	"github.com/narrator-dev/narrator/internal/redact"
)

// HistoryFlags are the command-line options of the history a narrator keeps (--history,
// --history-max-mb, --history-frames-mb).
type HistoryFlags struct {
	Age      time.Duration // 0: keep none
	MaxMB    int64
	FramesMB int64 // 0: frames are not kept
}

// Register adds the history flags to fs.
func (h *HistoryFlags) Register(fs *flag.FlagSet) {
	fs.DurationVar(&h.Age, "history", DefaultHistoryAge, "keep the events of this long (descriptions, decisions, speech…) in JetStream, in the data directory or on the --nats server, for narrator history (0: keep none)")
	fs.Int64Var(&h.MaxMB, "history-max-mb", DefaultHistoryBytes>>20, "at most this many MiB of history; the oldest events go first")
	fs.Int64Var(&h.FramesMB, "history-frames-mb", 0, "also keep frames, up to this many MiB (0: frames are not kept)")
}

// Validate checks the flags and points an embedded bus (b) at the history's directory.
func (h *HistoryFlags) Validate(b *Flags) error {
	if h.Age < 0 || (h.Age > 0 && h.Age < time.Second) {
		return fmt.Errorf("--history %s: use 0 (keep none) or at least 1s", h.Age)
	}
	if h.MaxMB < 1 {
		return fmt.Errorf("--history-max-mb %d: use at least 1", h.MaxMB)
	}
	if h.FramesMB < 0 {
		return fmt.Errorf("--history-frames-mb %d: use 0 (keep no frames) or more", h.FramesMB)
	}
	if h.Age == 0 || b.NATSURL != "" {
		return nil
	}
	dir, err := HistoryDir()
	if err != nil {
		return err
	}
	b.StoreDir = dir
	return nil
}

// HistoryDir is where the embedded server keeps the history: the data directory's history/.
func HistoryDir() (string, error) {
	d, err := datadir.Dir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "history"), nil
}

// Recorder returns the recorder on b, or nil when no history is kept (or the embedded server
// has no JetStream, which it said). The recorder sets up JetStream when it runs, so the other
// stages do not wait for it.
func (h *HistoryFlags) Recorder(b *Bus, counters *Counters, log *slog.Logger) (*Recorder, error) {
	if h.Age == 0 {
		return nil, nil
	}
	where := "JetStream at " + redact.URL(b.flags.NATSURL)
	if b.srv != nil {
		if !b.srv.JetStream() {
			return nil, nil // the embedded server said why
		}
		where = "the data directory (" + b.flags.StoreDir + ")"
	}
	c, err := b.Connect("history")
	if err != nil {
		return nil, err
	}
	return NewRecorder(c, RecorderConfig{
		MaxAge: h.Age, MaxBytes: h.MaxMB << 20, FrameBytes: h.FramesMB << 20, Counters: counters, Logger: log, Where: where,
	})
}

// OpenHistory connects to the running narrator's bus (f.NATSURL) or, when none answers, opens
// the history kept in the data directory with an embedded server of its own, saying so on
// stderr. close releases what it opened.
func OpenHistory(ctx context.Context, f Flags, stderr io.Writer) (c *Conn, close func(), err error) {
	dctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	c, err = Dial(dctx, f.NATSURL, "history", f.Auth, nil)
	cancel()
	if err == nil {
		return c, c.Close, nil
	}
	dir, derr := HistoryDir()
	if derr != nil {
		return nil, nil, err
	}
	if _, serr := os.Stat(dir); serr != nil {
		return nil, nil, fmt.Errorf("%w; and no history in %s", err, dir)
	}
	fmt.Fprintf(stderr, "no narrator answers at %s; reading the history kept in %s\n", redact.URL(f.NATSURL), dir)
	srv, serr := StartServer(ServerConfig{StoreDir: dir})
	if serr != nil {
		return nil, nil, serr
	}
	c, err = srv.Connect("history")
	if err != nil {
		srv.Shutdown()
		return nil, nil, err
	}
	return c, func() { c.Close(); srv.Shutdown() }, nil
}
