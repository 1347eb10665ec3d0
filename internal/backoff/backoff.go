// Package backoff computes the waits between retries: doubling from a first wait, capped.
package backoff

import "time"

// Nth is the wait before retry n (counting from 1) of a run of failures: first·2^(n-1), at
// most limit. n below 1 counts as 1.
func Nth(first, limit time.Duration, n int) time.Duration {
	d := first
	for i := 1; i < n && d < limit; i++ {
		d *= 2
	}
	return min(d, limit)
}

// Next is the wait after one of d: twice d, at most limit.
func Next(d, limit time.Duration) time.Duration { return min(2*d, limit) }
