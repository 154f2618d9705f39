// Package batch sends items to a batch API in calls of bounded size and re-sends the items an
// answer lists as failed, a bounded number of times, with a doubling pause between attempts.
// AWS Config's PutEvaluations (FailedEvaluations) and Security Hub's BatchImportFindings
// (FailedFindings) answer that way; throttling and other call errors are the SDK retryer's.
package batch

import (
	"context"
	"fmt"
	"time"
)

// Sender sends items in batches.
type Sender[T any] struct {
	// Action names the call in errors, e.g. config:PutEvaluations; Noun names its items, plural.
	Action, Noun string
	// Size is the most items one call takes.
	Size int
	// Attempts bounds how often an item the API answers as failed is sent, in all.
	Attempts int
	// Backoff is the pause before the first re-send; it doubles for each further one.
	Backoff time.Duration
	// Sleep pauses for d or until ctx is done (SleepContext when nil).
	Sleep func(ctx context.Context, d time.Duration) error
	// Send makes one call and returns the items of batch that the API answered as failed. An
	// error is a failed call: nothing further is sent.
	Send func(ctx context.Context, batch []T) (failed []T, err error)
}

// Error is a failed call: the items it carried and the call's error.
type Error struct {
	// First and Last are the 1-based positions of the call's first and last item; Total is
	// how many items were to be sent in all.
	First, Last, Total int
	Err                error
}

func (e *Error) Error() string {
	return fmt.Sprintf("%d-%d of %d: %v", e.First, e.Last, e.Total, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// SendAll sends items in batches of at most s.Size, re-sending each batch's failed items until
// none fail or s.Attempts is reached. It returns the items still failed, or the first call error
// as an *Error (nothing after it is sent).
func (s Sender[T]) SendAll(ctx context.Context, items []T) ([]T, error) {
	var refused []T
	for start := 0; start < len(items); start += s.Size {
		end := min(start+s.Size, len(items))
		failed, err := s.sendBatch(ctx, items[start:end])
		if err != nil {
			return nil, &Error{First: start + 1, Last: end, Total: len(items), Err: err}
		}
		refused = append(refused, failed...)
	}
	return refused, nil
}

func (s Sender[T]) sendBatch(ctx context.Context, batch []T) ([]T, error) {
	delay := s.Backoff
	for attempt := 1; ; attempt++ {
		failed, err := s.Send(ctx, batch)
		if err != nil {
			return nil, err
		}
		if len(failed) == 0 || attempt >= s.Attempts {
			return failed, nil
		}
		batch = failed
		sleep := s.Sleep
		if sleep == nil {
			sleep = SleepContext
		}
		if err := sleep(ctx, delay); err != nil {
			return nil, fmt.Errorf("%s: waiting to re-send %d failed %s: %w", s.Action, len(batch), s.Noun, err)
		}
		delay *= 2
	}
}

// SleepContext pauses for d, or returns ctx's error as soon as it is done.
func SleepContext(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
