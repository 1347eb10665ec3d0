package main

import (
	"flag"

	"github.com/narrator-dev/narrator/metrics"
)

// metricsOptions serve Prometheus metrics (--metrics); its flag is metrics.Flags.
type metricsOptions struct{ metrics.Flags }

func (o *metricsOptions) register(fs *flag.FlagSet) { o.Register(fs) }

func (o *metricsOptions) validate(*common) error { return o.Validate() }

func (o *metricsOptions) build(e env) ([]stage, error) {
	m, srv, err := o.Serve(e.bus, e.counters, e.log)
	if m == nil || err != nil {
		return nil, err
	}
	return []stage{m, srv}, nil
}
