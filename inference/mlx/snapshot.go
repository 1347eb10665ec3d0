package mlx

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// weightIndex is the file that lists a sharded model's weight files.
const weightIndex = "model.safetensors.index.json"

// checkSnapshot says what is missing from a model folder, or "" when it looks complete. It
// checks what the worker's own check_snapshot checks. A sharded model is checked against its
// index: mlx-vlm's load_model (mlx_vlm/utils.py) reads only the shards that exist, so a missing
// shard would otherwise surface at load time as "Missing N parameters". Snapshot files in the
// hub cache are links to blobs; a link whose blob is gone counts as missing.
func checkSnapshot(dir string) string {
	if !isFile(filepath.Join(dir, "config.json")) {
		return "no config.json in " + dir
	}
	if data, err := os.ReadFile(filepath.Join(dir, weightIndex)); err == nil {
		shards, err := parseWeightIndex(data)
		if err != nil {
			return fmt.Sprintf("unreadable weight index %s: %v", filepath.Join(dir, weightIndex), err)
		}
		var missing []string
		for _, s := range shards {
			if !isFile(filepath.Join(dir, s)) {
				missing = append(missing, s)
			}
		}
		if len(missing) > 0 {
			return fmt.Sprintf("weight shards missing in %s: %s", dir, strings.Join(missing, ", "))
		}
		if len(shards) > 0 {
			return ""
		}
	}
	weights, _ := filepath.Glob(filepath.Join(dir, "*.safetensors"))
	for _, w := range weights {
		if isFile(w) {
			return ""
		}
	}
	return "no .safetensors weights in " + dir
}

// parseWeightIndex returns the shard files a weight index names, sorted and without repeats.
// Names that would leave the model folder are an error.
func parseWeightIndex(data []byte) ([]string, error) {
	var idx struct {
		WeightMap map[string]string `json:"weight_map"`
	}
	if err := json.Unmarshal(data, &idx); err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, s := range idx.WeightMap {
		if s == "" || filepath.IsAbs(s) || !filepath.IsLocal(s) {
			return nil, fmt.Errorf("shard name %q is not a file in the model folder", s)
		}
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	sort.Strings(out)
	return out, nil
}

// isFile reports whether path is a regular file, following links.
func isFile(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular()
}
