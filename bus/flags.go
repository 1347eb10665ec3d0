package bus

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"sync"

	"github.com/narrator-dev/narrator/internal/cliflag"
	"github.com/narrator-dev/narrator/internal/redact"
)

// DefaultNATSURL is the server the commands without an embedded bus use (listen, ctl, history,
// and the split stages).
const DefaultNATSURL = "nats://127.0.0.1:4222"

// Flags are the command-line options that choose the bus and secure it: --nats, --listen,
// --token, --user, --password, the TLS files and the control user.
type Flags struct {
	// NATSURL is the server to use (--nats); empty: embed one.
	NATSURL string
	// Listen is the embedded server's TCP address (--listen); empty: in-process only.
	Listen          string
	Auth            Auth
	TLSCert, TLSKey string
	// ControlUser and ControlPassword (--control-user) make steering a separate permission.
	ControlUser, ControlPassword string
	// StoreDir, when set, gives the embedded server JetStream there (set by HistoryFlags).
	StoreDir string
}

// Register adds the bus flags to fs; embedded says whether the command can embed a server
// (otherwise --nats defaults to DefaultNATSURL).
func (f *Flags) Register(fs *flag.FlagSet, embedded bool) {
	if embedded {
		fs.StringVar(&f.NATSURL, "nats", "", "use the NATS server at this URL instead of embedding one (e.g. nats://127.0.0.1:4222); a cluster's nodes comma-separated, or one node's URL, fail over to each other")
		fs.StringVar(&f.Listen, "listen", "", "also accept TCP clients on HOST:PORT (loopback unless a host is named; default: no port)")
	} else {
		fs.StringVar(&f.NATSURL, "nats", DefaultNATSURL, "the NATS server to use; a cluster's nodes comma-separated (nats://a:4222,nats://b:4222), or one node's URL, fail over to each other")
	}
	fs.StringVar(&f.Auth.Token, "token", cliflag.Env("NARRATOR_NATS_TOKEN", ""), "token clients must present (env NARRATOR_NATS_TOKEN)")
	fs.StringVar(&f.Auth.User, "user", cliflag.Env("NARRATOR_NATS_USER", ""), "user name clients must present, with --password (env NARRATOR_NATS_USER)")
	fs.StringVar(&f.Auth.Password, "password", cliflag.Env("NARRATOR_NATS_PASSWORD", ""), "password for --user (env NARRATOR_NATS_PASSWORD)")
	if embedded {
		fs.StringVar(&f.TLSCert, "tls-cert", cliflag.Env("NARRATOR_NATS_TLS_CERT", ""), "with --listen: TLS certificate (PEM) TCP clients must use (env NARRATOR_NATS_TLS_CERT)")
		fs.StringVar(&f.TLSKey, "tls-key", cliflag.Env("NARRATOR_NATS_TLS_KEY", ""), "with --listen: the certificate's key (PEM) (env NARRATOR_NATS_TLS_KEY)")
		fs.StringVar(&f.ControlUser, "control-user", cliflag.Env("NARRATOR_NATS_CONTROL_USER", ""), "with --user: the only user that may steer the narrator (controls, describe requests, the prompt, speech control, utterances) or write the history; --user then only reads and publishes pipeline events (env NARRATOR_NATS_CONTROL_USER)")
		fs.StringVar(&f.ControlPassword, "control-password", cliflag.Env("NARRATOR_NATS_CONTROL_PASSWORD", ""), "password for --control-user (env NARRATOR_NATS_CONTROL_PASSWORD)")
	}
	fs.StringVar(&f.Auth.CAFile, "tls-ca", cliflag.Env("NARRATOR_NATS_TLS_CA", ""), "with --nats: PEM file of the authority that signed the server's certificate (env NARRATOR_NATS_TLS_CA)")
}

// Validate checks the flags before anything opens; Open checks them again.
func (f Flags) Validate() error {
	if f.NATSURL != "" {
		if f.Listen != "" {
			return errors.New("--listen and --nats exclude each other: --listen embeds a server, --nats uses another")
		}
		if f.ControlUser != "" || f.ControlPassword != "" {
			return errors.New("--control-user configures the embedded server's users; with --nats, log in as that server's control user with --user and --password")
		}
		return nil
	}
	if f.Listen == "" && (f.TLSCert != "" || f.TLSKey != "") {
		return errors.New("--tls-cert and --tls-key secure a --listen address: add --listen HOST:PORT")
	}
	return f.ServerConfig(nil).Validate()
}

// ServerConfig is the embedded server's config.
func (f Flags) ServerConfig(log *slog.Logger) ServerConfig {
	return ServerConfig{Listen: f.Listen, Auth: f.Auth, TLSCert: f.TLSCert, TLSKey: f.TLSKey, StoreDir: f.StoreDir,
		ControlUser: f.ControlUser, ControlPassword: f.ControlPassword, Logger: log}
}

// AccessDetail is, for `narrator doctor`, who may read and steer the embedded bus the flags
// describe.
func (f Flags) AccessDetail() string {
	mode, detail := f.ServerConfig(nil).AccessMode()
	return "; access: " + mode + " (" + detail + ")"
}

// Bus is an open bus: an embedded server or a remote URL, plus the connections made to it.
type Bus struct {
	srv   *Server
	flags Flags
	ctx   context.Context
	log   *slog.Logger
	mu    sync.Mutex
	conns []*Conn
}

// Open starts the embedded server, or notes the remote one's URL (each Connect dials it), and
// logs which, with who may reach a listening server.
func (f Flags) Open(ctx context.Context, log *slog.Logger) (*Bus, error) {
	if err := f.Validate(); err != nil {
		return nil, err
	}
	b := &Bus{flags: f, ctx: ctx, log: log}
	if f.NATSURL != "" {
		log.Info("bus: using the NATS server --nats names", "url", redact.URL(f.NATSURL))
		return b, nil
	}
	cfg := f.ServerConfig(log)
	srv, err := StartServer(cfg)
	if err != nil {
		return nil, err
	}
	b.srv = srv
	if url := srv.ClientURL(); url != "" {
		log.Info("bus: embedded NATS server listening", "url", url)
		mode, detail := cfg.AccessMode()
		log.Info("bus: access", "mode", mode, "detail", detail)
		for _, w := range cfg.Warnings() {
			log.Warn("bus: listener not safe", "why", w, "url", url)
		}
	} else {
		log.Info("bus: embedded NATS server, in-process only (add --listen 127.0.0.1:4222 to let other programs subscribe)")
	}
	return b, nil
}

// Connect opens a named connection that Close will close.
func (b *Bus) Connect(name string) (*Conn, error) {
	var c *Conn
	var err error
	if b.srv != nil {
		c, err = b.srv.Connect(name)
	} else {
		c, err = Dial(b.ctx, b.flags.NATSURL, name, b.flags.Auth, b.log)
	}
	if err != nil {
		return nil, fmt.Errorf("bus connection %s: %w", name, err)
	}
	b.mu.Lock()
	b.conns = append(b.conns, c)
	b.mu.Unlock()
	return c, nil
}

// Server is the embedded server, nil when the bus is another's (--nats).
func (b *Bus) Server() *Server { return b.srv }

// Flags are the flags the bus was opened with.
func (b *Bus) Flags() Flags { return b.flags }

// Close closes every connection, then the embedded server.
func (b *Bus) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, c := range b.conns {
		c.Close()
	}
	if b.srv != nil {
		b.srv.Shutdown()
	}
}
