// Package runner runs the narrator's stages together: each until its context ends, and all of them
// stopped as soon as one stops.
package runner

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// DefaultStopWait bounds how long All waits for the stages to return once they are told to stop:
// quitting never hangs on a stage stuck in a device or library call.
const DefaultStopWait = 10 * time.Second

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
// Stages that have not returned DefaultStopWait after the stop are named in the error and left.
func All(ctx context.Context, stages ...Stage) error {
	return allWithin(ctx, DefaultStopWait, stages...)
}

type result struct {
	i   int
	err error
}

func allWithin(ctx context.Context, stopWait time.Duration, stages ...Stage) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	results := make(chan result, len(stages))
	for i, s := range stages {
		go func() {
			results <- result{i, s.Run(ctx)}
			cancel()
		}()
	}
	var all []error
	running := make(map[int]bool, len(stages))
	for i := range stages {
		running[i] = true
	}
	stopping := ctx.Done()
	var deadline <-chan time.Time
	for len(running) > 0 {
		select {
		case r := <-results:
			delete(running, r.i)
			if r.err != nil {
				all = append(all, r.err)
			}
		case <-stopping:
			t := time.NewTimer(stopWait)
			defer t.Stop()
			deadline, stopping = t.C, nil // the stop is under way: wait for results or the deadline
		case <-deadline:
			var names []string
			for i := range running {
				names = append(names, fmt.Sprintf("%T", stages[i]))
			}
			all = append(all, fmt.Errorf("%d stage(s) did not stop within %s of the stop (%s); exiting without them", len(running), stopWait, strings.Join(names, ", ")))
			return errors.Join(all...)
		}
	}
	return errors.Join(all...)
}
