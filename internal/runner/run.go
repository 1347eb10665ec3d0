// Package runner runs the narrator's stages together: each until its context ends, and all of them
// stopped as soon as one stops.
package runner

import (
	"context"
	"errors"
)

// Stage is anything that runs until its context ends.
type Stage interface {
	Run(ctx context.Context) error
}

// Func adapts a function to Stage.
type Func func(ctx context.Context) error

// Run calls f.
func (f Func) Run(ctx context.Context) error { return f(ctx) }

// All runs every stage until ctx ends or one of them stops, then stops the rest and returns
// their errors once all have returned. A stage that stops early (its source ended) ends them all.
func All(ctx context.Context, stages ...Stage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	errs := make(chan error, len(stages))
	for _, s := range stages {
		go func() {
			errs <- s.Run(ctx)
			cancel()
		}()
	}
	var all []error
	for range stages {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}
