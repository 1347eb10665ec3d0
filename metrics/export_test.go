package metrics

import "github.com/narrator-dev/narrator/bus"

// Observe exposes observe to the benchmarks.
func (m *Metrics) Observe(msg bus.Message) error { return m.observe(msg) }
