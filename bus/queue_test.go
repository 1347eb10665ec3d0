package bus

import (
	"context"
	"testing"
	"time"
)

func TestQueueDropPolicies(t *testing.T) {
	cases := []struct {
		name   string
		size   int
		policy DropPolicy
		push   []int
		want   []int
		drops  uint64
	}{
		{"latest wins", 1, DropOldest, []int{1, 2, 3}, []int{3}, 2},
		{"oldest dropped", 2, DropOldest, []int{1, 2, 3, 4}, []int{3, 4}, 2},
		{"newest dropped", 2, DropNewest, []int{1, 2, 3, 4}, []int{1, 2}, 2},
		{"room for all", 4, DropNewest, []int{1, 2, 3}, []int{1, 2, 3}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			q := newQueue[int](QueueConfig{Name: "q", Size: c.size, Policy: c.policy})
			for _, v := range c.push {
				q.push(v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			for _, want := range c.want {
				got, err := q.Next(ctx)
				if err != nil || got != want {
					t.Fatalf("Next = %d, %v; want %d", got, err, want)
				}
			}
			if q.Dropped() != c.drops {
				t.Fatalf("Dropped = %d, want %d", q.Dropped(), c.drops)
			}
			short, cancelShort := context.WithTimeout(context.Background(), 10*time.Millisecond)
			defer cancelShort()
			if v, err := q.Next(short); err == nil {
				t.Fatalf("Next on an empty queue returned %d", v)
			}
		})
	}
}

func TestQueueNextWakesOnPush(t *testing.T) {
	q := newQueue[string](QueueConfig{Name: "q", Size: 1})
	got := make(chan string)
	go func() {
		v, _ := q.Next(context.Background())
		got <- v
	}()
	q.push("hello")
	select {
	case v := <-got:
		if v != "hello" {
			t.Fatalf("Next = %q", v)
		}
	case <-time.After(2 * time.Second):
		t.Fatal("Next did not wake on push")
	}
}
