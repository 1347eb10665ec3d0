package mlx

import (
	"slices"
	"testing"
)

var weightIndexes = []struct {
	index  string
	shards []string
	ok     bool
}{
	{`{"metadata":{"total_size":1},"weight_map":{"a.weight":"model-00002-of-00002.safetensors","b":"model-00001-of-00002.safetensors","c":"model-00001-of-00002.safetensors"}}`,
		[]string{"model-00001-of-00002.safetensors", "model-00002-of-00002.safetensors"}, true},
	{`{"weight_map":{}}`, nil, true},
	{`{}`, nil, true},
	{`{"weight_map":{"a":"../outside.safetensors"}}`, nil, false},
	{`{"weight_map":{"a":"/abs.safetensors"}}`, nil, false},
	{`{"weight_map":{"a":""}}`, nil, false},
	{`{"weight_map":[1]}`, nil, false},
	{`{"weight_map":{"a":`, nil, false},
}

func TestParseWeightIndex(t *testing.T) {
	for _, tc := range weightIndexes {
		shards, err := parseWeightIndex([]byte(tc.index))
		if (err == nil) != tc.ok || !slices.Equal(shards, tc.shards) {
			t.Errorf("parseWeightIndex(%s) = %q, %v; want %q, ok %v", tc.index, shards, err, tc.shards, tc.ok)
		}
	}
}

func FuzzParseWeightIndex(f *testing.F) {
	for _, tc := range weightIndexes {
		f.Add([]byte(tc.index))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		shards, err := parseWeightIndex(data)
		if err != nil {
			return
		}
		if !slices.IsSorted(shards) || len(slices.Compact(slices.Clone(shards))) != len(shards) {
			t.Fatalf("shards %q are not sorted and unique", shards)
		}
		for _, s := range shards {
			if s == "" || s[0] == '/' || s == ".." || len(s) > 2 && s[:3] == "../" {
				t.Fatalf("shard %q leaves the model folder", s)
			}
		}
	})
}
