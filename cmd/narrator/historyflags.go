package main

import (
	"flag"
	"fmt"
	"path/filepath"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/inference/mlx"
	"github.com/narrator-dev/narrator/internal/redact"
)

// historyOptions are the flags of the history the narrator keeps (JetStream).
type historyOptions struct {
	age      time.Duration
	maxMB    int64
	framesMB int64
}

func (o *historyOptions) register(fs *flag.FlagSet) {
	fs.DurationVar(&o.age, "history", bus.DefaultHistoryAge, "keep the events of this long (descriptions, decisions, speech…) in JetStream, in the data directory or on the --nats server, for narrator history (0: keep none)")
	fs.Int64Var(&o.maxMB, "history-max-mb", bus.DefaultHistoryBytes>>20, "at most this many MiB of history; the oldest events go first")
	fs.Int64Var(&o.framesMB, "history-frames-mb", 0, "also keep frames, up to this many MiB (0: frames are not kept)")
}

// validate checks the flags and points an embedded bus at the history's directory.
func (o *historyOptions) validate(c *common) error {
	if o.age < 0 || (o.age > 0 && o.age < time.Second) {
		return fmt.Errorf("--history %s: use 0 (keep none) or at least 1s", o.age)
	}
	if o.maxMB < 1 {
		return fmt.Errorf("--history-max-mb %d: use at least 1", o.maxMB)
	}
	if o.framesMB < 0 {
		return fmt.Errorf("--history-frames-mb %d: use 0 (keep no frames) or more", o.framesMB)
	}
	b := &c.bus
	if o.age == 0 || b.natsURL != "" {
		return nil
	}
	dir, err := historyDir()
	if err != nil {
		return err
	}
	b.storeDir = dir
	return nil
}

// historyDir is where the embedded server keeps the history: the data directory's history/.
func historyDir() (string, error) {
	d, err := mlx.DataDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(d, "history"), nil
}

// build returns the recorder, or nothing when no history is kept. The recorder sets up
// JetStream when it runs, so the other stages do not wait for it.
func (o *historyOptions) build(e env) ([]stage, error) {
	if o.age == 0 {
		return nil, nil
	}
	where := "JetStream at " + redact.URL(e.bus.opts.natsURL)
	if e.bus.srv != nil {
		if !e.bus.srv.JetStream() {
			return nil, nil // the embedded server said why
		}
		where = "the data directory (" + e.bus.opts.storeDir + ")"
	}
	c, err := e.bus.connect("history")
	if err != nil {
		return nil, err
	}
	r, err := bus.NewRecorder(c, bus.RecorderConfig{
		MaxAge: o.age, MaxBytes: o.maxMB << 20, FrameBytes: o.framesMB << 20, Counters: e.counters, Logger: e.log, Where: where,
	})
	if err != nil {
		return nil, err
	}
	return []stage{r}, nil
}
