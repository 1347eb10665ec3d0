package procgroup

import "testing"

func TestParseStat(t *testing.T) {
	for _, tc := range []struct {
		line  string
		state byte
		pgid  int
		ok    bool
	}{
		{"123 (python3) S 1 123 123 0 -1", 'S', 123, true},
		{"124 (a) b (c)) Z 1 99 99 0", 'Z', 99, true},
		{"125 (sh) R 1", 0, 0, false},
		{"garbage", 0, 0, false},
		{"126 (x) S 1 notanumber 1", 0, 0, false},
	} {
		state, pgid, ok := parseStat([]byte(tc.line))
		if state != tc.state || pgid != tc.pgid || ok != tc.ok {
			t.Errorf("parseStat(%q) = %q, %d, %v; want %q, %d, %v", tc.line, state, pgid, ok, tc.state, tc.pgid, tc.ok)
		}
	}
}

func FuzzParseStat(f *testing.F) {
	f.Add([]byte("123 (python3) S 1 123 123 0 -1"))
	f.Add([]byte("124 (a) b (c)) Z 1 99 99 0"))
	f.Fuzz(func(t *testing.T, b []byte) { parseStat(b) })
}
