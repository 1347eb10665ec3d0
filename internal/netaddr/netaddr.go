// Package netaddr answers questions about the addresses narrator listens on.
package netaddr

import (
	"fmt"
	"net"
	"strconv"
)

// IsLoopback reports whether host (a name or an address) is this machine only.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Listen checks a HOST:PORT to listen on and fills in the host: an empty host is loopback. what
// names the flag in errors ("web"), example is a valid address for it.
func Listen(what, example, addr string) (string, error) {
	host, portText, err := net.SplitHostPort(addr)
	if err != nil {
		return "", fmt.Errorf("%s address %q: want HOST:PORT, e.g. %s: %w", what, addr, example, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil || port < 0 || port > 65535 {
		return "", fmt.Errorf("%s address %q: port must be 0-65535", what, addr)
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, strconv.Itoa(port)), nil
}
