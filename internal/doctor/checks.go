package doctor

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/internal/redact"
	"github.com/narrator-dev/narrator/speech"
)

// Print writes one line per check, with the fix of each that is not OK, and returns how many
// failed.
func Print(w io.Writer, checks []Check) (failed int, err error) {
	for _, c := range checks {
		line := fmt.Sprintf("%-4s %-11s %s", c.Status, c.Name, c.Detail)
		if c.Fix != "" && c.Status != OK {
			line += "  → fix: " + c.Fix
		}
		if _, err := fmt.Fprintln(w, line); err != nil {
			return failed, err
		}
		if c.Status == Fail {
			failed++
		}
	}
	return failed, nil
}

// FFmpeg checks that ffmpeg, which file, folder and stream sources need, is installed and runs.
func FFmpeg(ctx context.Context) Check {
	c := Check{Name: "ffmpeg"}
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		c.Status, c.Detail = Warn, "not installed: file, folder and stream sources need it"
		c.Fix = "brew install ffmpeg (macOS) or apt-get install ffmpeg (Debian, Ubuntu)"
		return c
	}
	out, err := exec.CommandContext(ctx, path, "-hide_banner", "-version").Output()
	if err != nil {
		c.Status, c.Detail, c.Fix = Fail, path+" does not run: "+err.Error(), "reinstall ffmpeg"
		return c
	}
	first, _, _ := strings.Cut(string(out), "\n")
	c.Status, c.Detail = OK, strings.TrimSpace(first)
	return c
}

// Camera lists the cameras this build can open.
func Camera() Check {
	cams := capture.Cameras()
	if len(cams) == 0 {
		return Check{Name: "camera", Status: Warn, Detail: "no camera found (narrator run falls back to the demo scene)",
			Fix: "connect a camera; on macOS allow camera access for your terminal in System Settings › Privacy & Security › Camera"}
	}
	names := make([]string, len(cams))
	for i, c := range cams {
		names[i] = fmt.Sprintf("%d %q", c.Index, c.Label)
	}
	return Check{Name: "camera", Status: OK, Detail: strings.Join(names, ", ")}
}

// Audio checks the list --audio-device picks from (the one `narrator devices` prints) and that
// device, when given, names one of them.
func Audio(device string) Check {
	devs, err := speech.OutputDevices()
	if err != nil || len(devs) == 0 {
		detail := "no audio output found"
		if err != nil {
			detail = err.Error()
		}
		return Check{Name: "audio out", Status: Warn, Detail: detail + " (narrator then prints what it would say)",
			Fix: "connect speakers or headphones and check the system's sound settings"}
	}
	names := make([]string, len(devs))
	for i, d := range devs {
		names[i] = fmt.Sprintf("%q", d.Name)
		if d.Default {
			names[i] += " (default)"
		}
	}
	if device != "" {
		d, err := speech.PickOutput(devs, device)
		if err != nil {
			return Check{Name: "audio out", Status: Fail, Detail: err.Error(),
				Fix: "pass one of the names `narrator devices` lists to --audio-device"}
		}
		return Check{Name: "audio out", Status: OK, Detail: fmt.Sprintf("--audio-device %q is %q (%s); outputs: %s", device, d.Name, d.HostAPI, strings.Join(names, ", "))}
	}
	return Check{Name: "audio out", Status: OK, Detail: strings.Join(names, ", ")}
}

// Bus reports whether the bus the flags name opened and took a connection: err is what
// opening it returned, ok the detail to show when it worked.
func Bus(err error, ok string) Check {
	if err != nil {
		return Check{Name: "bus", Status: Fail, Detail: err.Error(), Fix: "check --nats, --listen and the token"}
	}
	return Check{Name: "bus", Status: OK, Detail: ok}
}

// OpenBus opens the bus the flags name, makes one connection to it and reports it as Bus does.
func OpenBus(ctx context.Context, f bus.Flags) Check {
	b, err := f.Open(ctx, slog.New(slog.DiscardHandler))
	if err == nil {
		defer b.Close()
		var conn *bus.Conn
		if conn, err = b.Connect("doctor"); err == nil {
			err = conn.Flush()
		}
	}
	if f.NATSURL != "" {
		return Bus(err, "NATS at "+redact.URL(f.NATSURL)+" answers")
	}
	return Bus(err, "embedded NATS server starts and accepts a connection"+f.AccessDetail())
}
