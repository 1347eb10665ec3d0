// Package bus owns the narrator's NATS bus: the embedded nats-server, client connections,
// subject names, event types with their JSON codecs, and the bounded, counted queues that stages
// read from. It is the only package that imports nats.go or nats-server.
package bus

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"strconv"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"

	"github.com/narrator-dev/narrator/internal/redact"
)

// MaxPayload is the largest message the narrator publishes, the nats-server default of 1 MiB.
const MaxPayload = 1 << 20

// ServerConfig configures the embedded NATS server.
type ServerConfig struct {
	// Listen is HOST:PORT for TCP clients. Empty (the default) opens no port: clients in this
	// process connect in-process. A HOST of "" or omitted means 127.0.0.1.
	Listen string
	// Auth, when it names a token or a user, is required from every client (TCP and
	// in-process). Default: none.
	Auth Auth
	// ControlUser and ControlPassword, when set, make steering a separate permission: only this
	// user may publish on ControlSubjects or write the history, while Auth.User (required with
	// it, and then the user of clients that only read) may read everything and publish pipeline
	// events. In-process clients log in as the control user. Default: none (every client with
	// the credentials may do everything).
	ControlUser, ControlPassword string
	// TLSCert and TLSKey, when set, make TCP clients use TLS with this certificate (PEM files).
	// In-process clients need no TLS. Default: none.
	TLSCert, TLSKey string
	// StoreDir, when set, enables JetStream with its file store in this directory, for the
	// history (see Recorder). A directory another process holds is not shared: the server then
	// runs without JetStream and says so. Default: none (no JetStream).
	StoreDir string
	// ReadyTimeout bounds how long Start waits for the server. Default: 5s.
	ReadyTimeout time.Duration
	// Logger receives the server's logs. Default: slog.Default().
	Logger *slog.Logger
}

// Server is an embedded nats-server.
type Server struct {
	ns     *server.Server
	auth   Auth
	log    *slog.Logger
	unlock func() // releases StoreDir
}

// Auth is what a client presents to the bus: a token, or a user and password. CAFile, for
// clients, names a PEM file of the authorities that signed the server's TLS certificate.
type Auth struct {
	Token, User, Password string
	CAFile                string
}

func (a Auth) options() []nats.Option {
	var opts []nats.Option
	if a.Token != "" {
		opts = append(opts, nats.Token(a.Token))
	}
	if a.User != "" {
		opts = append(opts, nats.UserInfo(a.User, a.Password))
	}
	if a.CAFile != "" {
		opts = append(opts, nats.RootCAs(a.CAFile))
	}
	return opts
}

// StartServer starts an embedded nats-server and waits until it accepts connections.
// A Listen address that is already in use fails at once with an error naming it.
func StartServer(cfg ServerConfig) (*Server, error) {
	if cfg.ReadyTimeout <= 0 {
		cfg.ReadyTimeout = 5 * time.Second
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	opts := &server.Options{
		ServerName:    "narrator",
		NoSigs:        true,
		MaxPayload:    MaxPayload,
		Authorization: cfg.Auth.Token,
		Username:      cfg.Auth.User,
		Password:      cfg.Auth.Password,
	}
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	if err := cfg.usersOptions(opts); err != nil {
		return nil, err
	}
	if cfg.TLSCert != "" {
		tc, err := server.GenTLSConfig(&server.TLSConfigOpts{CertFile: cfg.TLSCert, KeyFile: cfg.TLSKey})
		if err != nil {
			return nil, fmt.Errorf("bus TLS: %w", err)
		}
		opts.TLSConfig, opts.TLS = tc, true
	}
	if cfg.Listen == "" {
		opts.DontListen = true
	} else {
		host, port, err := splitListen(cfg.Listen)
		if err != nil {
			return nil, err
		}
		// Probe the address so a port in use is reported plainly rather than as a timeout.
		l, err := net.Listen("tcp", net.JoinHostPort(host, strconv.Itoa(port)))
		if err != nil {
			return nil, fmt.Errorf("listen on %s: %w (is another narrator or NATS server using port %d?)", cfg.Listen, err, port)
		}
		if port == 0 {
			port = l.Addr().(*net.TCPAddr).Port
		}
		_ = l.Close()
		opts.Host, opts.Port = host, port
	}
	unlock, err := enableJetStream(opts, cfg.StoreDir, cfg.Logger)
	if err != nil {
		return nil, err
	}
	ns, err := server.NewServer(opts)
	if err != nil {
		unlock()
		return nil, fmt.Errorf("configure nats-server: %w", err)
	}
	ns.SetLoggerV2(serverLogger{cfg.Logger.With("component", "nats-server")}, false, false, false)
	ns.Start()
	if !ns.ReadyForConnections(cfg.ReadyTimeout) {
		ns.Shutdown()
		unlock()
		return nil, fmt.Errorf("nats-server not ready after %s (listen %q)", cfg.ReadyTimeout, cfg.Listen)
	}
	own := Auth{Token: cfg.Auth.Token, User: cfg.Auth.User, Password: cfg.Auth.Password}
	if cfg.ControlUser != "" {
		own = Auth{User: cfg.ControlUser, Password: cfg.ControlPassword}
	}
	return &Server{ns: ns, auth: own, log: cfg.Logger, unlock: unlock}, nil
}

// splitListen parses HOST:PORT, defaulting the host to loopback.
func splitListen(addr string) (string, int, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, fmt.Errorf("listen address %q: want HOST:PORT, e.g. 127.0.0.1:4222: %w", addr, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", 0, fmt.Errorf("listen address %q: port must be 0-65535", addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return host, port, nil
}

// ClientURL is the nats:// URL TCP clients use, or "" when the server does not listen.
func (s *Server) ClientURL() string {
	if s.ns.Addr() == nil {
		return ""
	}
	return s.ns.ClientURL()
}

// Connect opens an in-process client connection named name.
func (s *Server) Connect(name string) (*Conn, error) {
	return connect("", name, s.log, append(s.auth.options(), nats.InProcessServer(s.ns))...)
}

// Shutdown stops the server and waits for it to finish.
func (s *Server) Shutdown() {
	s.ns.Shutdown()
	s.ns.WaitForShutdown()
	s.unlock()
}

// Dial connects to an existing NATS server at url, presenting auth. Several URLs may be given,
// comma-separated (the nodes of a cluster; one node's URL is enough to learn the others). After
// the first connection it reconnects forever if the server goes away, to any node of the
// cluster (see DefaultReconnectWait and the constants beside it).
func Dial(ctx context.Context, url, name string, auth Auth, log *slog.Logger) (*Conn, error) {
	if log == nil {
		log = slog.Default()
	}
	c, err := connect(url, name, log, append(auth.options(), dialOptions(ctx)...)...)
	if err != nil {
		shown := redact.URL(url)
		if errors.Is(err, nats.ErrNoServers) {
			return nil, redact.Error(fmt.Errorf("connect to NATS at %s: no server answered (is it running? start one with `narrator run --listen 127.0.0.1:4222`): %w", shown, err))
		}
		return nil, redact.Error(fmt.Errorf("connect to NATS at %s: %w", shown, err))
	}
	return c, nil
}

// serverLogger adapts nats-server's printf-style logger to slog.
type serverLogger struct{ log *slog.Logger }

func (l serverLogger) Noticef(format string, v ...any) { l.say(slog.LevelDebug, format, v) }
func (l serverLogger) Warnf(format string, v ...any)   { l.say(slog.LevelWarn, format, v) }
func (l serverLogger) Fatalf(format string, v ...any)  { l.say(slog.LevelError, format, v) }
func (l serverLogger) Errorf(format string, v ...any)  { l.say(slog.LevelError, format, v) }
func (l serverLogger) Debugf(format string, v ...any)  { l.say(slog.LevelDebug, format, v) }
func (l serverLogger) Tracef(format string, v ...any)  { l.say(slog.LevelDebug, format, v) }

// say logs one line of the server's at level, its printf-style text as an attribute.
func (l serverLogger) say(level slog.Level, format string, v []any) {
	l.log.Log(context.Background(), level, "nats server", "detail", fmt.Sprintf(format, v...))
}
