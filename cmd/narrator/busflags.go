package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"sync"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/redact"
)

// busOptions are the flags that choose the bus and secure it.
type busOptions struct {
	natsURL         string
	listen          string
	auth            bus.Auth
	tlsCert, tlsKey string
	// storeDir, when set, gives the embedded server JetStream there (for the history).
	storeDir string
	control  controlUserOptions // --control-user (controlflags.go)
}

// register adds the bus flags; embedded says whether the command can embed a server.
func (o *busOptions) register(fs *flag.FlagSet, embedded bool) {
	if embedded {
		fs.StringVar(&o.natsURL, "nats", "", "use the NATS server at this URL instead of embedding one (e.g. nats://127.0.0.1:4222); a cluster's nodes comma-separated, or one node's URL, fail over to each other")
		fs.StringVar(&o.listen, "listen", "", "also accept TCP clients on HOST:PORT (loopback unless a host is named; default: no port)")
	} else {
		fs.StringVar(&o.natsURL, "nats", "nats://127.0.0.1:4222", "the NATS server to use; a cluster's nodes comma-separated (nats://a:4222,nats://b:4222), or one node's URL, fail over to each other")
	}
	fs.StringVar(&o.auth.Token, "token", envOr("NARRATOR_NATS_TOKEN", ""), "token clients must present (env NARRATOR_NATS_TOKEN)")
	fs.StringVar(&o.auth.User, "user", envOr("NARRATOR_NATS_USER", ""), "user name clients must present, with --password (env NARRATOR_NATS_USER)")
	fs.StringVar(&o.auth.Password, "password", envOr("NARRATOR_NATS_PASSWORD", ""), "password for --user (env NARRATOR_NATS_PASSWORD)")
	if embedded {
		fs.StringVar(&o.tlsCert, "tls-cert", envOr("NARRATOR_NATS_TLS_CERT", ""), "with --listen: TLS certificate (PEM) TCP clients must use (env NARRATOR_NATS_TLS_CERT)")
		fs.StringVar(&o.tlsKey, "tls-key", envOr("NARRATOR_NATS_TLS_KEY", ""), "with --listen: the certificate's key (PEM) (env NARRATOR_NATS_TLS_KEY)")
		o.control.register(fs)
	}
	fs.StringVar(&o.auth.CAFile, "tls-ca", envOr("NARRATOR_NATS_TLS_CA", ""), "with --nats: PEM file of the authority that signed the server's certificate (env NARRATOR_NATS_TLS_CA)")
}

// busHandle is an open bus: an embedded server or a remote URL, plus the connections made to it.
type busHandle struct {
	srv   *bus.Server
	opts  busOptions
	ctx   context.Context
	log   *slog.Logger
	mu    sync.Mutex
	conns []*bus.Conn
}

// validate checks the bus flags before anything opens; open checks them again.
func (o busOptions) validate() error {
	if o.natsURL != "" {
		if o.listen != "" {
			return fmt.Errorf("--listen and --nats exclude each other: --listen embeds a server, --nats uses another")
		}
		return o.control.withNats()
	}
	if o.listen == "" && (o.tlsCert != "" || o.tlsKey != "") {
		return fmt.Errorf("--tls-cert and --tls-key secure a --listen address: add --listen HOST:PORT")
	}
	return o.serverConfig(nil).Validate()
}

// serverConfig is the embedded server's config.
func (o busOptions) serverConfig(log *slog.Logger) bus.ServerConfig {
	cfg := bus.ServerConfig{Listen: o.listen, Auth: o.auth, TLSCert: o.tlsCert, TLSKey: o.tlsKey, StoreDir: o.storeDir, Logger: log}
	o.control.apply(&cfg)
	return cfg
}

// open starts the embedded server or checks that the remote one answers.
func (o busOptions) open(ctx context.Context, log *slog.Logger) (*busHandle, error) {
	if err := o.validate(); err != nil {
		return nil, err
	}
	b := &busHandle{opts: o, ctx: ctx, log: log}
	if o.natsURL != "" {
		log.Info("bus: using the NATS server --nats names", "url", redact.URL(o.natsURL))
		return b, nil
	}
	cfg := o.serverConfig(log)
	srv, err := bus.StartServer(cfg)
	if err != nil {
		return nil, err
	}
	b.srv = srv
	if url := srv.ClientURL(); url != "" {
		log.Info("bus: embedded NATS server listening", "url", url)
		logAccess(log, cfg)
		for _, w := range cfg.Warnings() {
			log.Warn("bus: listener not safe", "why", w, "url", url)
		}
	} else {
		log.Info("bus: embedded NATS server, in-process only (add --listen 127.0.0.1:4222 to let other programs subscribe)")
	}
	return b, nil
}

// connect opens a named connection that close will close.
func (b *busHandle) connect(name string) (*bus.Conn, error) {
	var c *bus.Conn
	var err error
	if b.srv != nil {
		c, err = b.srv.Connect(name)
	} else {
		c, err = bus.Dial(b.ctx, b.opts.natsURL, name, b.opts.auth, b.log)
	}
	if err != nil {
		return nil, fmt.Errorf("bus connection %s: %w", name, err)
	}
	b.mu.Lock()
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	return c, nil
}

// close closes every connection, then the embedded server.
func (b *busHandle) close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
	}
}
