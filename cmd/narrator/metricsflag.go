package main

import (
	"context"
	"net"

	"github.com/narrator-dev/narrator/internal/netaddr"
	"github.com/narrator-dev/narrator/metrics"
)

// metricsStages serves Prometheus metrics on addr (--metrics): a subscriber that turns the bus's
// events into metrics, and the HTTP server. A host beyond loopback is used because it was named,
// with a warning.
func metricsStages(e env, addr string) ([]stage, error) {
	c, err := e.bus.connect("metrics")
	if err != nil {
		return nil, err
	}
	m, err := metrics.New(c, metrics.Config{Counters: e.counters, Logger: e.log})
	if err != nil {
		return nil, err
	}
	srv, err := metrics.Listen(m, addr)
	if err != nil {
		return nil, err
	}
	e.log.Info("metrics: serving Prometheus metrics", "url", srv.URL())
	if host, _, _ := net.SplitHostPort(addr); host != "" && !netaddr.IsLoopback(host) {
		e.log.Warn("metrics: listening beyond loopback: anyone who can reach it can read them", "url", srv.URL())
	}
	return []stage{m, stageFunc(func(ctx context.Context) error { return srv.Run(ctx) })}, nil
}
