package main

import (
	"flag"
	"fmt"

	"github.com/narrator-dev/narrator/speech"
	"github.com/narrator-dev/narrator/web"
)

// webOptions serve the live web page (--web): a part of every pipeline command.
type webOptions struct {
	addr  string
	token string
	// speak is the command's speech part (nil when it has none): without a voice (--speech
	// none) captions follow the narrator's decisions instead.
	speak *speakOptions
	// busToken is the bus --token, the page's token beyond loopback without --web-token.
	busToken string
}

func (o *webOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.addr, "web", "", "serve the live page, the stream overlay (/overlay) and captions (/captions.vtt, /captions.srt) on HOST:PORT (loopback unless a host is named; default: off)")
	fs.StringVar(&o.token, "web-token", envOr("NARRATOR_WEB_TOKEN", ""), "token browsers must present to the --web page (?token=); required beyond loopback unless the bus --token is set, which is then used (env NARRATOR_WEB_TOKEN)")
}

// validate checks --web before anything starts.
func (o *webOptions) validate(c *common) error {
	o.busToken = c.bus.Auth.Token
	if o.addr == "" {
		return nil
	}
	addr, err := web.ListenAddr(o.addr)
	if err != nil {
		return err
	}
	if !web.IsLoopback(addr) && o.tokenFor() == "" {
		return fmt.Errorf("--web %s is reachable beyond this machine: set --web-token (or the bus --token) so only those who know it can see and control the narrator, or use --web 127.0.0.1:%s", o.addr, portOf(addr))
	}
	return nil
}

// tokenFor is the token the page asks for: --web-token, else the bus token beyond loopback.
func (o *webOptions) tokenFor() string {
	if o.token != "" {
		return o.token
	}
	if addr, err := web.ListenAddr(o.addr); err == nil && !web.IsLoopback(addr) {
		return o.busToken
	}
	return ""
}

// build serves the page on --web; nothing when it is off.
func (o *webOptions) build(e env) ([]stage, error) {
	if o.addr == "" {
		return nil, nil
	}
	c, err := e.bus.Connect("web")
	if err != nil {
		return nil, err
	}
	token := o.tokenFor()
	s, err := web.New(web.Config{Conn: c, Addr: o.addr, Token: token, CaptionsFrom: o.captionsFrom(), Counters: e.counters, Logger: e.log})
	if err != nil {
		return nil, err
	}
	switch {
	case token != "" && s.Loopback():
		e.log.Info("web: serving the live page; browsers must present --web-token: open it with ?token=TOKEN", "url", s.URL(), "overlay", s.URL()+"overlay")
	case token != "":
		which := "--web-token"
		if o.token == "" {
			which = "the bus --token"
		}
		e.log.Warn("web: serving the live page beyond loopback; browsers must present "+which+": open it with ?token=TOKEN", "url", s.URL(), "overlay", s.URL()+"overlay")
	default:
		e.log.Info("web: serving the live page", "url", s.URL(), "overlay", s.URL()+"overlay", "captions", s.URL()+"captions.vtt")
	}
	return []stage{s}, nil
}

func portOf(addr string) string {
	for i := len(addr) - 1; i >= 0; i-- {
		if addr[i] == ':' {
			return addr[i+1:]
		}
	}
	return addr
}

// captionsFrom is where the page's captions come from: the voice, or the narrator's decisions
// when this process narrates without speaking (--speech none).
func (o *webOptions) captionsFrom() string {
	if o.speak != nil && o.speak.Mode == speech.ModeNone {
		return web.CaptionsFromUtterances
	}
	return web.CaptionsFromSpeech
}
