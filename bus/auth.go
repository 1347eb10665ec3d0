package bus

import (
	"errors"
	"net"

	"github.com/narrator-dev/narrator/internal/netaddr"
)

// OpenBusAllows says precisely what any client of a bus without credentials can do.
const OpenBusAllows = "any client that reaches it can read every frame and description, and publish on every subject: " +
	"stop or pause the narrator, make it say anything (narrator.v1.utterances, ctl ask), and rewrite the model's prompt (narrator.v1.prompt)"

// Validate refuses credentials that would not protect the bus: a user without a password
// (anyone who guesses the name gets in), a password without a user, a token together with a
// user, half a TLS pair, a Listen address that is not HOST:PORT, and a control user that
// would not separate anything.
func (c ServerConfig) Validate() error {
	if c.Listen != "" {
		if _, _, err := splitListen(c.Listen); err != nil {
			return err
		}
	}
	switch {
	case c.Auth.Token != "" && c.Auth.User != "":
		return errors.New("bus: use a token or a user and password, not both")
	case c.Auth.User != "" && c.Auth.Password == "":
		return errors.New("bus: --user needs --password (env NARRATOR_NATS_PASSWORD): a user without a password lets in anyone who knows the name")
	case c.Auth.Password != "" && c.Auth.User == "":
		return errors.New("bus: --password needs --user (env NARRATOR_NATS_USER)")
	case (c.TLSCert == "") != (c.TLSKey == ""):
		return errors.New("bus: TLS needs both a certificate and a key file")
	}
	return c.validateControl()
}

// Warnings says what is unsafe about a valid config: a port beyond loopback with no
// credentials (OpenBusAllows), or with credentials but no TLS (they, and every frame, cross
// the network in clear text).
func (c ServerConfig) Warnings() []string {
	if c.Listen == "" {
		return nil
	}
	host, _, err := net.SplitHostPort(c.Listen)
	if err != nil || host == "" || netaddr.IsLoopback(host) {
		return nil
	}
	switch {
	case c.Auth.Token == "" && c.Auth.User == "":
		return []string{"bus: listening beyond loopback without --token or --user: " + OpenBusAllows}
	case c.TLSCert == "":
		return []string{"bus: listening beyond loopback without TLS: the token or password, and every frame, cross the network in clear text; add --tls-cert and --tls-key"}
	}
	return nil
}
