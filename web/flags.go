package web

import (
	"flag"
	"fmt"
	"log/slog"
	"net"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/internal/cliflag"
)

// Flags are the command-line options of the live page: --web and --web-token.
type Flags struct {
	Addr, Token string
}

// Register adds --web and --web-token to fs.
func (f *Flags) Register(fs *flag.FlagSet) {
	fs.StringVar(&f.Addr, "web", "", "serve the live page, the stream overlay (/overlay) and captions (/captions.vtt, /captions.srt) on HOST:PORT (loopback unless a host is named; default: off)")
	fs.StringVar(&f.Token, "web-token", cliflag.Env("NARRATOR_WEB_TOKEN", ""), "token browsers must present to the --web page (?token=); required beyond loopback unless the bus --token is set, which is then used (env NARRATOR_WEB_TOKEN)")
}

// Validate checks --web before anything starts: an address beyond loopback needs a token
// (--web-token, or busToken, the bus --token).
func (f *Flags) Validate(busToken string) error {
	if f.Addr == "" {
		return nil
	}
	addr, err := ListenAddr(f.Addr)
	if err != nil {
		return err
	}
	if !IsLoopback(addr) && f.TokenFor(busToken) == "" {
		_, port, _ := net.SplitHostPort(addr)
		return fmt.Errorf("--web %s is reachable beyond this machine: set --web-token (or the bus --token) so only those who know it can see and control the narrator, or use --web 127.0.0.1:%s", f.Addr, port)
	}
	return nil
}

// TokenFor is the token the page asks for: --web-token, else busToken beyond loopback.
func (f *Flags) TokenFor(busToken string) string {
	if f.Token != "" {
		return f.Token
	}
	if addr, err := ListenAddr(f.Addr); err == nil && !IsLoopback(addr) {
		return busToken
	}
	return ""
}

// Serve makes the page's server on its own connection to b when --web asks for one (nil when it is off), and logs
// where it is and what browsers must present. captionsFrom is CaptionsFromSpeech, or
// CaptionsFromUtterances when the process narrates without speaking.
func (f *Flags) Serve(b *bus.Bus, busToken, captionsFrom string, counters *bus.Counters, log *slog.Logger) (*Server, error) {
	if f.Addr == "" {
		return nil, nil
	}
	conn, err := b.Connect("web")
	if err != nil {
		return nil, err
	}
	token := f.TokenFor(busToken)
	s, err := New(Config{Conn: conn, Addr: f.Addr, Token: token, CaptionsFrom: captionsFrom, Counters: counters, Logger: log})
	if err != nil {
		return nil, err
	}
	switch {
	case token != "" && s.Loopback():
		log.Info("web: serving the live page; browsers must present --web-token: open it with ?token=TOKEN", "url", s.URL(), "overlay", s.URL()+"overlay")
	case token != "":
		which := "--web-token"
		if f.Token == "" {
			which = "the bus --token"
		}
		log.Warn("web: serving the live page beyond loopback; browsers must present "+which+": open it with ?token=TOKEN", "url", s.URL(), "overlay", s.URL()+"overlay")
	default:
		log.Info("web: serving the live page", "url", s.URL(), "overlay", s.URL()+"overlay", "captions", s.URL()+"captions.vtt")
	}
	return s, nil
}
