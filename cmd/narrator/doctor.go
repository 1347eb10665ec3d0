package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"os/exec"
	"strings"

	"github.com/narrator-dev/narrator/capture"
	"github.com/narrator-dev/narrator/inference"
	"github.com/narrator-dev/narrator/inference/mlx"
	"github.com/narrator-dev/narrator/speech"
)

func runDoctor(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := newFlags("doctor", "Checks what narrator needs and prints one line per check with its fix.", stderr)
	model := fs.String("model", mlx.DefaultModel, "the mlx model to check for")
	audioDevice := fs.String("audio-device", "", "the output to check (`DEVICE`), as 'narrator run --audio-device' takes it; empty: the default output")
	workerPython := fs.String("worker-python", envOr("NARRATOR_WORKER_PYTHON", ""), "the mlx worker's Python (`PATH`; default: the environment 'narrator setup' made; env NARRATOR_WORKER_PYTHON)")
	var o busOptions
	o.register(fs, true)
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("doctor takes no arguments, got %q", fs.Args())
	}
	checks := mlx.Checks(ctx, mlx.CheckConfig{Model: *model, Python: *workerPython})
	checks = append(checks, ffmpegCheck(ctx), cameraCheck(), audioCheck(*audioDevice), busCheck(ctx, o))
	failed := 0
	for _, c := range checks {
		line := fmt.Sprintf("%-4s %-11s %s", c.Status, c.Name, c.Detail)
		if c.Fix != "" && c.Status != inference.CheckOK {
			line += "  → fix: " + c.Fix
		}
		fmt.Fprintln(stdout, line)
		if c.Status == inference.CheckFail {
			failed++
		}
	}
	if failed > 0 {
		return fmt.Errorf("%d of %d checks failed", failed, len(checks))
	}
	return nil
}

func ffmpegCheck(ctx context.Context) inference.Check {
	c := inference.Check{Name: "ffmpeg"}
	path, err := exec.LookPath("ffmpeg")
	if err != nil {
		c.Status, c.Detail = inference.CheckWarn, "not installed: file, folder and stream sources need it"
		c.Fix = "brew install ffmpeg (macOS) or apt-get install ffmpeg (Debian, Ubuntu)"
		return c
	}
	out, err := exec.CommandContext(ctx, path, "-hide_banner", "-version").Output()
	if err != nil {
		c.Status, c.Detail, c.Fix = inference.CheckFail, path+" does not run: "+err.Error(), "reinstall ffmpeg"
		return c
	}
	first, _, _ := strings.Cut(string(out), "\n")
	c.Status, c.Detail = inference.CheckOK, strings.TrimSpace(first)
	return c
}

func cameraCheck() inference.Check {
	cams := capture.Cameras()
	if len(cams) == 0 {
		return inference.Check{Name: "camera", Status: inference.CheckWarn, Detail: "no camera found (narrator run falls back to the demo scene)",
			Fix: "connect a camera; on macOS allow camera access for your terminal in System Settings › Privacy & Security › Camera"}
	}
	names := make([]string, len(cams))
	for i, c := range cams {
		names[i] = fmt.Sprintf("%d %q", c.Index, c.Label)
	}
	return inference.Check{Name: "camera", Status: inference.CheckOK, Detail: strings.Join(names, ", ")}
}

// audioCheck checks the list --audio-device picks from (the one `narrator devices` prints) and
// that device names one of them.
func audioCheck(device string) inference.Check {
	devs, err := speech.OutputDevices()
	if err != nil || len(devs) == 0 {
		detail := "no audio output found"
		if err != nil {
			detail = err.Error()
		}
		return inference.Check{Name: "audio out", Status: inference.CheckWarn, Detail: detail + " (narrator then prints what it would say)",
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
			return inference.Check{Name: "audio out", Status: inference.CheckFail, Detail: err.Error(),
				Fix: "pass one of the names `narrator devices` lists to --audio-device"}
		}
		return inference.Check{Name: "audio out", Status: inference.CheckOK, Detail: fmt.Sprintf("--audio-device %q is %q (%s); outputs: %s", device, d.Name, d.HostAPI, strings.Join(names, ", "))}
	}
	return inference.Check{Name: "audio out", Status: inference.CheckOK, Detail: strings.Join(names, ", ")}
}

func busCheck(ctx context.Context, o busOptions) inference.Check {
	c := inference.Check{Name: "bus"}
	b, err := o.open(ctx, slog.New(slog.DiscardHandler))
	if err == nil {
		defer b.close()
		var conn interface{ Flush() error }
		conn, err = b.connect("doctor")
		if err == nil {
			err = conn.Flush()
		}
	}
	if err != nil {
		c.Status, c.Detail, c.Fix = inference.CheckFail, err.Error(), "check --nats, --listen and the token"
		return c
	}
	c.Status = inference.CheckOK
	if o.natsURL != "" {
		c.Detail = "NATS at " + o.natsURL + " answers"
	} else {
		c.Detail = "embedded NATS server starts and accepts a connection" + o.accessDetail()
	}
	return c
}
