//go:build manual

package servertest

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"
)

// TestServe runs doubles on real addresses so that narrator run --backend auto can be tried
// by hand against them, e.g.
//
//	NARRATOR_DOUBLES=ollama=127.0.0.1:11434 go test -tags manual -run TestServe ./inference/openai/servertest/ &
//	narrator run --source demo --speech text --duration 5s
//
// NARRATOR_DOUBLES is a comma-separated list of kind=address (kinds: ollama, llama, lmstudio,
// vllm, mlxvlm); NARRATOR_DOUBLES_FOR is how long they serve (default 60s).
func TestServe(t *testing.T) {
	kinds := map[string]func(testing.TB, Options) *Server{"ollama": Ollama, "llama": Llama, "lmstudio": LMStudio, "vllm": VLLM, "mlxvlm": MLXVLM}
	spec := os.Getenv("NARRATOR_DOUBLES")
	if spec == "" {
		t.Fatal("set NARRATOR_DOUBLES, e.g. ollama=127.0.0.1:11434")
	}
	for _, item := range strings.Split(spec, ",") {
		kind, addr, _ := strings.Cut(item, "=")
		l, err := net.Listen("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		s := kinds[kind](t, Options{Listener: l, Thinking: os.Getenv("NARRATOR_DOUBLES_THINKING") != "", APIKey: os.Getenv("NARRATOR_DOUBLES_KEY")})
		t.Logf("%s at %s: the vision model is %s", s.Kind, s.URL, s.VisionModel)
	}
	d := time.Minute
	if v := os.Getenv("NARRATOR_DOUBLES_FOR"); v != "" {
		if d, _ = time.ParseDuration(v); d <= 0 {
			t.Fatal("NARRATOR_DOUBLES_FOR: not a duration")
		}
	}
	time.Sleep(d)
}
