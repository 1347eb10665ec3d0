package main

import (
	"errors"
	"flag"
	"log/slog"

	"github.com/narrator-dev/narrator/bus"
)

// controlUserOptions are the flags that make steering the narrator a separate NATS permission
// from reading it (bus.ServerConfig.ControlUser).
type controlUserOptions struct {
	user, password string
}

func (o *controlUserOptions) register(fs *flag.FlagSet) {
	fs.StringVar(&o.user, "control-user", envOr("NARRATOR_NATS_CONTROL_USER", ""), "with --user: the only user that may steer the narrator (controls, describe requests, the prompt, speech control, utterances) or write the history; --user then only reads and publishes pipeline events (env NARRATOR_NATS_CONTROL_USER)")
	fs.StringVar(&o.password, "control-password", envOr("NARRATOR_NATS_CONTROL_PASSWORD", ""), "password for --control-user (env NARRATOR_NATS_CONTROL_PASSWORD)")
}

// apply puts the control user into the server's config.
func (o controlUserOptions) apply(cfg *bus.ServerConfig) {
	cfg.ControlUser, cfg.ControlPassword = o.user, o.password
}

// logAccess says who may read and who may steer a listening bus.
func logAccess(log *slog.Logger, cfg bus.ServerConfig) {
	if cfg.Listen == "" {
		return
	}
	mode, detail := cfg.AccessMode()
	log.Info("bus: access", "mode", mode, "detail", detail)
}

// withNats refuses a control user for a bus another server runs: its users are its own.
func (o controlUserOptions) withNats() error {
	if o.user != "" || o.password != "" {
		return errors.New("--control-user configures the embedded server's users; with --nats, log in as that server's control user with --user and --password")
	}
	return nil
}

// accessDetail is, for `narrator doctor`, who may read and steer the embedded bus its flags
// describe.
func (o busOptions) accessDetail() string {
	mode, detail := o.serverConfig(nil).AccessMode()
	return "; access: " + mode + " (" + detail + ")"
}
