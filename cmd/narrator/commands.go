package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
)

// command is one `narrator` subcommand.
type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"run", "run the whole pipeline in one process: capture, describe, narrate, speak", runNarration},
		{"describe", "describe one image (a file, or - for stdin), say it, and exit", runDescribe},
		{"listen", "print the events on a narrator bus as they arrive", runListen},
		{"devices", "list the cameras, the other sources and the audio outputs", runDevices},
		{"ctl", "control a running narrator: describe, repeat, pause, resume, stop, ask \"…\", verbosity, mode, rate, volume, help, status", runCtl},
		{"capture", "run only the capture stage against a shared bus (--nats)", runCapture},
		{"infer", "run only the inference stage against a shared bus (--nats)", runInfer},
		{"speak", "run only narration and speech against a shared bus (--nats)", runSpeak},
		{"bench", "measure the reaction time against a simulated model and speaker, beside a naive loop", runBench},
		{"setup", "prepare the mlx backend (Apple Silicon): Python environment, mlx-vlm, model", runSetup},
		{"doctor", "check what narrator needs and print the fix for each problem", runDoctor},
		{"history", "print what was seen and said, from the history a narrator keeps", runHistory},
		{"version", "print the version and the revision it was built from (also --version)", runVersion},
	}
}

// run dispatches args to a subcommand.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 || args[0] == "help" || args[0] == "-h" || args[0] == "--help" {
		usage(stdout)
		return nil
	}
	if args[0] == "--version" || args[0] == "-version" {
		args = append([]string{"version"}, args[1:]...)
	}
	for _, c := range commands() {
		if c.name == args[0] {
			err := c.run(ctx, args[1:], stdout, stderr)
			if errors.Is(err, flag.ErrHelp) {
				return nil
			}
			return err
		}
	}
	usage(stderr)
	return fmt.Errorf("unknown command %q", args[0])
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "narrator watches a camera, describes what changes, and says it aloud.")
	fmt.Fprintln(w, "\nUsage: narrator COMMAND [flags]   (narrator COMMAND --help lists the flags)")
	fmt.Fprintln(w, "\nCommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-8s %s\n", c.name, c.summary)
	}
}
