package bus

// Connected reports whether the connection is up now: false while it is reconnecting after the
// server went away, and once it is closed. Status pages poll it to say "disconnected, retrying".
func (c *Conn) Connected() bool { return c.nc.IsConnected() }
