package main

import (
	"github.com/narrator-dev/narrator/metrics"
)

// metricsOptions serve Prometheus metrics (--metrics); its flag is metrics.Flags.
type metricsOptions struct{ metrics.Flags }

func (o *metricsOptions) Validate(*common) error { return o.Flags.Validate() }

func (o *metricsOptions) Build(e env) ([]stage, error) {
	m, srv, err := o.Serve(e.Bus, e.Counters, e.Log)
	if m == nil || err != nil {
		return nil, err
	}
	return []stage{m, srv}, nil
}
