package bus_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
)

// selfSigned writes a certificate for 127.0.0.1 and its key, returning their paths.
func selfSigned(t *testing.T) (cert, key string) {
	t.Helper()
	priv, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "narrator test"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour),
		IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}, IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &priv.PublicKey, priv)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, _ := x509.MarshalECPrivateKey(priv)
	dir := t.TempDir()
	cert, key = filepath.Join(dir, "cert.pem"), filepath.Join(dir, "key.pem")
	os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600)
	os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}), 0o600)
	return cert, key
}

func TestTLSAndUserPassword(t *testing.T) {
	cert, key := selfSigned(t)
	srv, err := bus.StartServer(bus.ServerConfig{Listen: "127.0.0.1:0", TLSCert: cert, TLSKey: key,
		Auth: bus.Auth{User: "cam", Password: "pw"}})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Shutdown()
	url := strings.Replace(srv.ClientURL(), "nats://", "tls://", 1)
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
	defer cancel()
	cases := []struct {
		name string
		auth bus.Auth
		ok   bool
	}{
		{"right user, trusted CA", bus.Auth{User: "cam", Password: "pw", CAFile: cert}, true},
		{"wrong password", bus.Auth{User: "cam", Password: "nope", CAFile: cert}, false},
		{"untrusted certificate", bus.Auth{User: "cam", Password: "pw"}, false},
	}
	for _, c := range cases {
		conn, err := bus.Dial(ctx, url, c.name, c.auth, nil)
		if (err == nil) != c.ok {
			t.Errorf("%s: Dial error %v, want ok=%v", c.name, err, c.ok)
		}
		if err == nil {
			conn.Close()
		}
	}
	in, err := srv.Connect("in-process")
	if err != nil {
		t.Fatalf("in-process clients need no TLS: %v", err)
	}
	in.Close()
}

func TestServerConfigErrors(t *testing.T) {
	for _, cfg := range []bus.ServerConfig{
		{Listen: "127.0.0.1:0", TLSCert: "only-cert.pem"},
		{Listen: "127.0.0.1:0", Auth: bus.Auth{Token: "t", User: "u"}},
		{Listen: "127.0.0.1:0", TLSCert: "missing.pem", TLSKey: "missing.pem"},
	} {
		if srv, err := bus.StartServer(cfg); err == nil {
			srv.Shutdown()
			t.Errorf("StartServer(%+v) succeeded", cfg)
		}
	}
}
