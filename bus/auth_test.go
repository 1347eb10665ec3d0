package bus

import (
	"strings"
	"testing"
)

func TestServerConfigValidate(t *testing.T) {
	cases := []struct {
		cfg  ServerConfig
		want string
	}{
		{ServerConfig{Listen: "0.0.0.0:4222", Auth: Auth{User: "cam"}}, "--user needs --password"},
		{ServerConfig{Auth: Auth{Password: "x"}}, "--password needs --user"},
		{ServerConfig{Auth: Auth{Token: "t", User: "u", Password: "p"}}, "not both"},
		{ServerConfig{TLSCert: "c.pem"}, "both a certificate and a key"},
		{ServerConfig{Auth: Auth{User: "u", Password: "p"}}, ""},
	}
	for _, c := range cases {
		err := c.cfg.Validate()
		if (c.want == "") != (err == nil) || (err != nil && !strings.Contains(err.Error(), c.want)) {
			t.Errorf("Validate(%+v) = %v, want %q", c.cfg, err, c.want)
		}
		if c.want != "" {
			if _, err := StartServer(c.cfg); err == nil || !strings.Contains(err.Error(), c.want) {
				t.Errorf("StartServer(%+v) = %v, want it refused", c.cfg, err)
			}
		}
	}
}

func TestServerConfigWarnings(t *testing.T) {
	cases := []struct {
		cfg  ServerConfig
		want string
	}{
		{ServerConfig{Listen: "0.0.0.0:4222"}, "rewrite the model's prompt"},
		{ServerConfig{Listen: "192.168.1.20:4222", Auth: Auth{Token: "t"}}, "clear text"},
		{ServerConfig{Listen: "0.0.0.0:4222", Auth: Auth{User: "u", Password: "p"}}, "clear text"},
		{ServerConfig{Listen: "0.0.0.0:4222", Auth: Auth{Token: "t"}, TLSCert: "c", TLSKey: "k"}, ""},
		{ServerConfig{Listen: "127.0.0.1:4222"}, ""},
		{ServerConfig{Listen: "localhost:4222"}, ""},
		{ServerConfig{}, ""},
	}
	for _, c := range cases {
		got := strings.Join(c.cfg.Warnings(), "\n")
		if (c.want == "") != (got == "") || !strings.Contains(got, c.want) {
			t.Errorf("Warnings(%+v) = %q, want %q", c.cfg, got, c.want)
		}
	}
}
