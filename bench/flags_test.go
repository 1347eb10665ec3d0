package bench

import (
	"flag"
	"testing"

	"github.com/narrator-dev/narrator/capture"
)

// TestFlagsZeroIsOff: as in run, --heartbeat 0, --min-interval 0 and --max-interval 0 turn
// those off (a --heartbeat 0 once ran with the default heartbeat); the defaults are capture's.
func TestFlagsZeroIsOff(t *testing.T) {
	var f Flags
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	f.Register(fs)
	cfg, err := f.Parsed()
	if err != nil {
		t.Fatal(err)
	}
	if cfg.Heartbeat != capture.DefaultHeartbeat || cfg.MinInterval != capture.DefaultMinInterval || cfg.MaxInterval != capture.DefaultMaxInterval {
		t.Errorf("defaults: heartbeat %s, min interval %s, max interval %s", cfg.Heartbeat, cfg.MinInterval, cfg.MaxInterval)
	}
	if err := fs.Parse([]string{"--heartbeat", "0", "--min-interval", "0", "--max-interval", "0"}); err != nil {
		t.Fatal(err)
	}
	if cfg, err = f.Parsed(); err != nil {
		t.Fatal(err)
	}
	if cfg.Heartbeat != capture.Off || cfg.MinInterval != capture.Off || cfg.MaxInterval != capture.Off {
		t.Errorf("0 given: heartbeat %s, min interval %s, max interval %s; want each capture.Off", cfg.Heartbeat, cfg.MinInterval, cfg.MaxInterval)
	}
	if err := fs.Parse([]string{"--wpm", "0"}); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Parsed(); err == nil {
		t.Error("--wpm 0 accepted")
	}
}
