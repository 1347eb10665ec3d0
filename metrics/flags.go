package metrics

import (
	"flag"
	"log/slog"
	"net"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/netaddr"
)

// Flags are the command-line option that serves the metrics (--metrics).
type Flags struct {
	Addr string
}

// Register adds --metrics to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Addr, "metrics", "", "serve Prometheus metrics on HOST:PORT at /metrics (loopback unless a host is named; default: off)")
}

// Validate checks the address before anything opens.
func (f *Flags) Validate() error {
	if f.Addr == "" {
		return nil
	}
	_, err := ListenAddr(f.Addr)
	return err
}

// Serve makes, when --metrics asks for them, the subscriber that turns the bus's events into
// metrics (on its own connection to b) and the HTTP server; both nil when it is off. A host
// beyond loopback is used because it was named, with a warning.
func (f *Flags) Serve(b *bus.Bus, counters *bus.Counters, log *slog.Logger) (*Metrics, *Server, error) {
	if f.Addr == "" {
		return nil, nil, nil
	}
	c, err := b.Connect("metrics")
	if err != nil {
		return nil, nil, err
	}
	m, err := New(c, Config{Counters: counters, Logger: log})
	if err != nil {
		return nil, nil, err
	}
	srv, err := Listen(m, f.Addr)
	if err != nil {
		return nil, nil, err
	}
	log.Info("metrics: serving Prometheus metrics", "url", srv.URL())
	if host, _, _ := net.SplitHostPort(f.Addr); host != "" && !netaddr.IsLoopback(host) {
		log.Warn("metrics: listening beyond loopback: anyone who can reach it can read them", "url", srv.URL())
	}
	return m, srv, nil
}
