package recent

import (
	"fmt"
	"slices"
	"testing"
)

func keys[V any](x *Index[string, V]) []string {
	var out []string
	for k := range x.All() {
		out = append(out, k)
	}
	return out
}

func TestIndexForgetsTheOldest(t *testing.T) {
	x := New[string, int](3)
	for i, k := range []string{"a", "b", "c", "d"} {
		x.Put(k, i)
	}
	if got := keys(x); !slices.Equal(got, []string{"b", "c", "d"}) {
		t.Errorf("kept %v, want b c d", got)
	}
	if _, ok := x.Get("a"); ok {
		t.Error("a is still kept")
	}
	// Replacing a value makes its key the newest: c outlives b.
	x.Put("b", 10)
	x.Put("e", 4)
	if got := keys(x); !slices.Equal(got, []string{"d", "b", "e"}) {
		t.Errorf("kept %v, want d b e", got)
	}
	if v, ok := x.Get("b"); !ok || v != 10 {
		t.Errorf("b = %d, %v", v, ok)
	}
}

func TestIndexDelete(t *testing.T) {
	x := New[string, string](2)
	x.Put("a", "A")
	x.Put("b", "B")
	if v, ok := x.Delete("a"); !ok || v != "A" {
		t.Errorf("Delete(a) = %q, %v", v, ok)
	}
	if _, ok := x.Delete("a"); ok {
		t.Error("a deleted twice")
	}
	x.Put("c", "C") // room for it: nothing is forgotten
	if got := keys(x); !slices.Equal(got, []string{"b", "c"}) || x.Len() != 2 {
		t.Errorf("kept %v (len %d), want b c", got, x.Len())
	}
}

func TestIndexStopsWhenAskedTo(t *testing.T) {
	x := New[string, int](0) // keeps one at least
	x.Put("a", 1)
	x.Put("b", 2)
	if x.Len() != 1 {
		t.Fatalf("len %d, want 1", x.Len())
	}
	for range x.All() {
		break
	}
}

// FuzzIndex checks the bound and that the map and the order agree, for any sequence of puts
// and deletes.
func FuzzIndex(f *testing.F) {
	f.Add([]byte{1, 2, 3, 1, 0x84, 5}, 3)
	f.Add([]byte{}, 1)
	f.Fuzz(func(t *testing.T, ops []byte, bound int) {
		if bound < 1 || bound > 50 {
			t.Skip()
		}
		x := New[string, int](bound)
		for i, op := range ops {
			k := fmt.Sprint(op & 0x0f)
			if op&0x80 != 0 {
				x.Delete(k)
			} else {
				x.Put(k, i)
			}
			if x.Len() > bound || x.Len() != len(x.values) {
				t.Fatalf("after op %d: len %d, %d values, bound %d", i, x.Len(), len(x.values), bound)
			}
			for k := range x.All() {
				if _, ok := x.Get(k); !ok {
					t.Fatalf("%s in the order but not kept", k)
				}
			}
		}
	})
}
