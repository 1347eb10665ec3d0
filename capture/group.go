package capture

import (
	"context"
	"errors"
)

// Group runs several cameras' capture stages together. Each runs until its source ends or fails
// for good, or ctx ends; one camera ending does not stop the others. Run returns when every
// stage has returned, with their errors joined.
type Group []*Stage

// Run runs every stage and returns once all have returned.
func (g Group) Run(ctx context.Context) error {
	errs := make(chan error, len(g))
	for _, s := range g {
		go func() { errs <- s.Run(ctx) }()
	}
	var all []error
	for range g {
		if err := <-errs; err != nil {
			all = append(all, err)
		}
	}
	return errors.Join(all...)
}
