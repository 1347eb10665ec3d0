package web

import (
	"strings"
	"testing"
)

// TestFlagsToken: beyond loopback the page needs --web-token or the bus token, which it then
// uses; on loopback only --web-token asks for one.
func TestFlagsToken(t *testing.T) {
	cases := []struct {
		f        Flags
		busToken string
		err      string // "" means valid
		token    string
	}{
		{Flags{}, "", "", ""},
		{Flags{Addr: "127.0.0.1:0"}, "b", "", ""},
		{Flags{Addr: "127.0.0.1:0", Token: "w"}, "", "", "w"},
		{Flags{Addr: "0.0.0.0:8080"}, "", "--web-token", ""},
		{Flags{Addr: "0.0.0.0:8080"}, "b", "", "b"},
		{Flags{Addr: "0.0.0.0:8080", Token: "w"}, "b", "", "w"},
		{Flags{Addr: "nonsense"}, "", "HOST:PORT", ""},
	}
	for _, c := range cases {
		err := c.f.Validate(c.busToken)
		if c.err == "" && err != nil {
			t.Errorf("%+v: %v, want valid", c.f, err)
		}
		if c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)) {
			t.Errorf("%+v: %v, want an error naming %q", c.f, err, c.err)
		}
		if c.err == "" && c.f.TokenFor(c.busToken) != c.token {
			t.Errorf("%+v with bus token %q: token %q, want %q", c.f, c.busToken, c.f.TokenFor(c.busToken), c.token)
		}
	}
	if err := (&Flags{Addr: "0.0.0.0:8080"}).Validate(""); err == nil || !strings.Contains(err.Error(), "127.0.0.1:8080") {
		t.Errorf("the refusal suggests the loopback address on the same port: %v", err)
	}
}
