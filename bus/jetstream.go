package bus

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/nats-io/nats-server/v2/server"
)

// errStoreBusy is returned by lockDir when another process holds the directory.
var errStoreBusy = errors.New("held by another process")

// enableJetStream turns on JetStream with its file store in dir, unless dir is empty or another
// process holds it (then the server runs without JetStream, and says why). unlock releases dir.
func enableJetStream(opts *server.Options, dir string, log *slog.Logger) (unlock func(), err error) {
	if dir == "" {
		return func() {}, nil
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("history directory: %w", err)
	}
	unlock, err = lockDir(filepath.Join(dir, "narrator.lock"))
	if errors.Is(err, errStoreBusy) {
		log.Warn("history: another narrator keeps its history in " + dir + "; this one keeps none (give it another NARRATOR_HOME, or use --nats to share that narrator's bus)")
		return func() {}, nil
	}
	if err != nil {
		return nil, fmt.Errorf("history directory %s: %w", dir, err)
	}
	opts.JetStream = true
	opts.StoreDir = dir
	opts.JetStreamMaxMemory = 64 << 20 // nothing is kept in memory; this bounds the server's default
	return unlock, nil
}

// JetStream reports whether the server runs JetStream (it was given a StoreDir it could hold).
func (s *Server) JetStream() bool { return s.ns.JetStreamEnabled() }
