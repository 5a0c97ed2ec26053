// Package retry spaces out the retries of lost optimistic races (a version
// or counter that moved), so that contenders spread out instead of
// colliding again.
package retry

import (
	"context"
	"math/rand/v2"
	"time"
)

// Backoff waits a jittered delay, growing with attempt up to limit.
func Backoff(ctx context.Context, attempt int, limit time.Duration) error {
	d := min(time.Millisecond<<min(attempt, 10), limit)
	t := time.NewTimer(time.Duration(rand.Int64N(int64(d)) + 1))
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
