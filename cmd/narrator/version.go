package main

import (
	"context"
	"fmt"
	"io"

	"github.com/narrator-dev/narrator/internal/pipeline"
	"github.com/narrator-dev/narrator/internal/version"
)

func runVersion(_ context.Context, args []string, stdout, stderr io.Writer) error {
	fs := pipeline.NewFlags("version", "Prints the narrator's module version and the VCS revision it was built from.", stderr)
	jsonOut := fs.Bool("json", false, "print it as JSON")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("version takes no arguments, got %q", fs.Args())
	}
	if *jsonOut {
		printJSON(stdout, version.Get())
		return nil
	}
	fmt.Fprintln(stdout, version.Get())
	return nil
}
