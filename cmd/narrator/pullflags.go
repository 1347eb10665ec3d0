package main

import (
	"flag"
	"time"

	"github.com/narrator-dev/narrator/inference"
)

// pullOptions are the inference stage's flags for sharing work among hosts: --pull, and
// --max-age when the command has no capture stage (`narrator infer`; in `narrator run`
// --max-age is capture's, and inference keeps inference.DefaultMaxAge).
type pullOptions struct {
	pull bool
	// ownsMaxAge: this command's --max-age is inference's (set by commands without capture).
	ownsMaxAge bool
	maxAge     *time.Duration // nil: inference.DefaultMaxAge
}

func (o *pullOptions) register(fs *flag.FlagSet) {
	fs.BoolVar(&o.pull, "pull", false, "take frames from the bus's JetStream work queue when this host is free, instead of being handed them by the queue group (every infer process on a bus must agree; needs JetStream: nats-server -js, or a narrator bus with history); see docs/scale-out.md")
	if !o.ownsMaxAge {
		return
	}
	o.maxAge = new(time.Duration)
	fs.DurationVar(o.maxAge, "max-age", inference.DefaultMaxAge, "never describe a frame captured longer ago than this: one that waited so long for a free host is counted stale instead (0: no limit)")
}

// frameMaxAge is the --max-age in force.
func (o *pullOptions) frameMaxAge() time.Duration {
	if o.maxAge == nil {
		return inference.DefaultMaxAge
	}
	return *o.maxAge
}
