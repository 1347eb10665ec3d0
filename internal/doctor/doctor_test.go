package doctor_test

import (
	"bytes"
	"context"
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/doctor"
	"github.com/narrator-dev/narrator/speech"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func TestPrintShowsFixesOfWhatIsNotOKAndCountsFailures(t *testing.T) {
	var out bytes.Buffer
	failed, err := doctor.Print(&out, []doctor.Check{
		{Name: "ffmpeg", Status: doctor.OK, Detail: "ffmpeg version 7", Fix: "never shown"},
		{Name: "camera", Status: doctor.Warn, Detail: "none", Fix: "connect one"},
		{Name: "bus", Status: doctor.Fail, Detail: "refused", Fix: "check --nats"},
	})
	if err != nil || failed != 1 {
		t.Errorf("Print: %d failed, %v; want 1, nil", failed, err)
	}
	want := "ok   ffmpeg      ffmpeg version 7\nwarn camera      none  → fix: connect one\nFAIL bus         refused  → fix: check --nats\n"
	if out.String() != want {
		t.Errorf("Print wrote\n%s\nwant\n%s", out.String(), want)
	}
}

func TestBus(t *testing.T) {
	if c := doctor.Bus(nil, "answers"); c.Status != doctor.OK || c.Detail != "answers" {
		t.Errorf("Bus(nil) = %+v", c)
	}
	if c := doctor.Bus(errors.New("connection refused"), "answers"); c.Status != doctor.Fail || c.Detail != "connection refused" || c.Fix == "" {
		t.Errorf("Bus(err) = %+v", c)
	}
}

func TestFFmpeg(t *testing.T) {
	c := doctor.FFmpeg(context.Background())
	if _, err := exec.LookPath("ffmpeg"); err != nil {
		if c.Status != doctor.Warn || c.Fix == "" {
			t.Errorf("without ffmpeg: %+v, want a warning with its fix", c)
		}
		return
	}
	if c.Status != doctor.OK || !strings.HasPrefix(c.Detail, "ffmpeg version") {
		t.Errorf("with ffmpeg: %+v, want ok and its version", c)
	}
}

// TestAudioRefusesADeviceThatIsNotListed: the device --audio-device names must be one of the
// outputs; with none at all, the check warns.
func TestAudioRefusesADeviceThatIsNotListed(t *testing.T) {
	c := doctor.Audio("no such output 1e9")
	if devs, err := speech.OutputDevices(); err != nil || len(devs) == 0 {
		if c.Status != doctor.Warn {
			t.Errorf("no outputs: %+v, want a warning", c)
		}
		return
	}
	if c.Status != doctor.Fail || !strings.Contains(c.Fix, "narrator devices") {
		t.Errorf("unknown device: %+v, want a failure pointing at narrator devices", c)
	}
	if c := doctor.Audio(""); c.Status != doctor.OK {
		t.Errorf("default output: %+v, want ok", c)
	}
}

// TestOpenBus: an embedded bus opens and takes a connection, with who may reach it; a bus
// that does not answer fails naming it, its password masked.
func TestOpenBus(t *testing.T) {
	if c := doctor.OpenBus(context.Background(), bus.Flags{}); c.Status != doctor.OK || !strings.Contains(c.Detail, "access:") {
		t.Errorf("embedded: %+v", c)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	c := doctor.OpenBus(ctx, bus.Flags{NATSURL: "nats://u:secret@127.0.0.1:1"})
	if c.Status != doctor.Fail || strings.Contains(c.Detail, "secret") {
		t.Errorf("a bus that does not answer: %+v", c)
	}
}
