package mlx

import (
	"os"
	"path/filepath"
	"slices"
	"testing"
)

func TestHubEnv(t *testing.T) {
	l := Layout{Root: "/data"}
	online := hubEnv(l, true, nil)
	for _, want := range []string{"HF_HOME=/data/huggingface", "HF_HUB_CACHE=/data/huggingface/hub", "HF_HUB_OFFLINE=0"} {
		if !slices.Contains(online, want) {
			t.Errorf("online env %q lacks %s", online, want)
		}
	}
	if !slices.Contains(hubEnv(l, false, nil), "HF_HUB_OFFLINE=1") {
		t.Errorf("worker env is not offline")
	}
}

func TestUserTokenPath(t *testing.T) {
	home := t.TempDir()
	token := func(dir string) string {
		p := filepath.Join(dir, "token")
		if err := os.MkdirAll(dir, 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("not-a-real-token"), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	if p := userTokenPath([]string{"HOME=" + home}); p != "" {
		t.Errorf("no token file: %q, want none", p)
	}
	def := token(filepath.Join(home, ".cache", "huggingface"))
	xdg := token(filepath.Join(home, "xdg", "huggingface"))
	own := token(filepath.Join(home, "hf"))
	cases := []struct {
		env  []string
		want string
	}{
		{[]string{"HOME=" + home}, def},
		{[]string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "xdg")}, xdg},
		{[]string{"HOME=" + home, "XDG_CACHE_HOME=" + filepath.Join(home, "xdg"), "HF_HOME=" + filepath.Join(home, "hf")}, own},
		{[]string{"HOME=" + home, "HF_HOME=~/hf"}, own},
		{[]string{"HOME=" + home, "HF_HOME=" + filepath.Join(home, "nothing")}, ""},
		{[]string{"HOME=" + home, "HF_TOKEN=x"}, ""},              // HF_TOKEN wins in huggingface_hub anyway
		{[]string{"HOME=" + home, "HF_TOKEN_PATH=" + own}, ""},    // the user's choice passes through
		{[]string{"HOME=/elsewhere", "HOME=" + home}, def},        // the last entry counts, as in exec
		{[]string{"HOME=" + home, "HF_HOME=/x", "HF_HOME="}, def}, // set empty: the default
	}
	for _, tc := range cases {
		if got := userTokenPath(tc.env); got != tc.want {
			t.Errorf("userTokenPath(%q) = %q, want %q", tc.env, got, tc.want)
		}
	}
}
