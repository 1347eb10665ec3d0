// Package recent keeps the most recent of something by key, a bounded number of them: a new key
// beyond the bound forgets the key added or replaced longest ago.
package recent

import "iter"

// Index maps keys to values and keeps at most a fixed number of them. It is not safe for
// concurrent use; its owner locks it if it must.
type Index[K comparable, V any] struct {
	max    int
	values map[K]V
	order  []K // oldest first
}

// New returns an empty index that keeps at most limit entries (at least one).
func New[K comparable, V any](limit int) *Index[K, V] {
	return &Index[K, V]{max: max(1, limit), values: map[K]V{}}
}

// Put sets k's value and makes k the newest; a new key when the index is full forgets the
// oldest.
func (x *Index[K, V]) Put(k K, v V) {
	if _, ok := x.values[k]; ok {
		x.remove(k)
	} else if len(x.order) >= x.max {
		delete(x.values, x.order[0])
		x.order = x.order[1:]
	}
	x.values[k] = v
	x.order = append(x.order, k)
}

// Get returns k's value and whether k is kept.
func (x *Index[K, V]) Get(k K) (V, bool) {
	v, ok := x.values[k]
	return v, ok
}

// Delete forgets k and returns its value, if it was kept.
func (x *Index[K, V]) Delete(k K) (V, bool) {
	v, ok := x.values[k]
	if ok {
		delete(x.values, k)
		x.remove(k)
	}
	return v, ok
}

// Len is how many entries are kept.
func (x *Index[K, V]) Len() int { return len(x.order) }

// All yields the entries oldest first.
func (x *Index[K, V]) All() iter.Seq2[K, V] {
	return func(yield func(K, V) bool) {
		for _, k := range x.order {
			if !yield(k, x.values[k]) {
				return
			}
		}
	}
}

func (x *Index[K, V]) remove(k K) {
	for i, o := range x.order {
		if o == k {
			x.order = append(x.order[:i], x.order[i+1:]...)
			return
		}
	}
}
