package main

import (
	"context"
	"flag"
	"net"

	"github.com/narrator-dev/narrator/internal/netaddr"
	"github.com/narrator-dev/narrator/metrics"
)

// metricsOptions serve Prometheus metrics (--metrics).
type metricsOptions struct {
	addr string
}

func (o *metricsOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "metrics", "", "serve Prometheus metrics on HOST:PORT at /metrics (loopback unless a host is named; default: off)")
}

func (o *metricsOptions) validate(*common) error {
	if o.addr == "" {
		return nil
	}
	_, err := metrics.ListenAddr(o.addr)
	return err
}

// build serves the metrics: a subscriber that turns the bus's events into metrics, and the HTTP
// server. A host beyond loopback is used because it was named, with a warning.
func (o *metricsOptions) build(e env) ([]stage, error) {
	if o.addr == "" {
		return nil, nil
	}
	c, err := e.bus.Connect("metrics")
	if err != nil {
		return nil, err
	}
	m, err := metrics.New(c, metrics.Config{Counters: e.counters, Logger: e.log})
	if err != nil {
		return nil, err
	}
	srv, err := metrics.Listen(m, o.addr)
	if err != nil {
		return nil, err
	}
	e.log.Info("metrics: serving Prometheus metrics", "url", srv.URL())
	if host, _, _ := net.SplitHostPort(o.addr); host != "" && !netaddr.IsLoopback(host) {
		e.log.Warn("metrics: listening beyond loopback: anyone who can reach it can read them", "url", srv.URL())
	}
	return []stage{m, stageFunc(func(ctx context.Context) error { return srv.Run(ctx) })}, nil
}
