// Package netaddr answers questions about the addresses narrator listens on.
package netaddr

import "net"

// IsLoopback reports whether host (a name or an address) is this machine only.
func IsLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
