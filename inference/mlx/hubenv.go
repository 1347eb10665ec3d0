package mlx

import (
	"os"
	"path/filepath"
	"strings"
)

// hubEnv is the Hugging Face environment of everything setup and the worker run, after the
// user's own. The cache is the data directory's, whatever the user set: HF_HOME and HF_HUB_CACHE
// (which huggingface_hub's constants.py prefers over HF_HOME/hub, as it does the legacy
// HUGGINGFACE_HUB_CACHE) both point into it. online decides HF_HUB_OFFLINE: "0" for setup's
// download, which a user's HF_HUB_OFFLINE=1 or TRANSFORMERS_OFFLINE=1 would otherwise break
// (huggingface_hub reads HF_HUB_OFFLINE first, so "0" wins), "1" for the worker, which loads a
// local folder. A token the user already has stays in use: with HF_HOME moved, huggingface_hub
// would look for it under the data directory, so HF_TOKEN_PATH names the user's token file.
func hubEnv(l Layout, online bool, environ []string) []string {
	offline := "1"
	if online {
		offline = "0"
	}
	env := []string{
		"HF_HOME=" + l.HFHome(),
		"HF_HUB_CACHE=" + l.HubCache(),
		"HF_HUB_OFFLINE=" + offline,
		"HF_HUB_DISABLE_TELEMETRY=1",
	}
	if p := userTokenPath(environ); p != "" {
		env = append(env, "HF_TOKEN_PATH="+p)
	}
	return env
}

// userTokenPath is the token file huggingface_hub would have read for this user without the
// narrator's HF_HOME (constants.py: HF_TOKEN_PATH, default HF_HOME/token, HF_HOME defaulting to
// $XDG_CACHE_HOME/huggingface or ~/.cache/huggingface), when that file exists and nothing else
// already decides: HF_TOKEN and HF_TOKEN_PATH set by the user pass through unchanged. The token
// itself is never read.
func userTokenPath(environ []string) string {
	get := func(key string) string {
		for i := len(environ) - 1; i >= 0; i-- {
			if k, v, ok := strings.Cut(environ[i], "="); ok && k == key {
				return v
			}
		}
		return ""
	}
	if get("HF_TOKEN") != "" || get("HF_TOKEN_PATH") != "" {
		return ""
	}
	home := get("HF_HOME")
	if home == "" {
		cache := get("XDG_CACHE_HOME")
		if cache == "" {
			h := get("HOME")
			if h == "" {
				return ""
			}
			cache = filepath.Join(h, ".cache")
		}
		home = filepath.Join(cache, "huggingface")
	}
	if strings.HasPrefix(home, "~/") {
		if h := get("HOME"); h != "" {
			home = filepath.Join(h, home[2:])
		}
	}
	p := filepath.Join(home, "token")
	if fi, err := os.Stat(p); err != nil || !fi.Mode().IsRegular() || fi.Size() == 0 {
		return ""
	}
	return p
}
