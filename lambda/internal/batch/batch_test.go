package batch_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/privatelink-rules/ec2-vpc-endpoint-rule/lambda/internal/batch"
)

func TestSendAll(t *testing.T) {
	items := make([]int, 250)
	for i := range items {
		items[i] = i
	}
	tests := []struct {
		name string
		// refuse answers, for the n-th call (from 1), which of its items failed.
		refuse      func(n int, b []int) []int
		attempts    int
		wantCalls   [][2]int // first item and length of each call
		wantRefused []int
	}{
		{
			name:      "all accepted: one call per 100",
			refuse:    func(int, []int) []int { return nil },
			attempts:  3,
			wantCalls: [][2]int{{0, 100}, {100, 100}, {200, 50}},
		},
		{
			name: "refused once, accepted when re-sent",
			refuse: func(n int, b []int) []int {
				if n == 1 {
					return b[:2]
				}
				return nil
			},
			attempts:  3,
			wantCalls: [][2]int{{0, 100}, {0, 2}, {100, 100}, {200, 50}},
		},
		{
			name: "refused every time: sent attempts times, then returned",
			refuse: func(_ int, b []int) []int {
				if b[0] == 200 {
					return b[:1]
				}
				return nil
			},
			attempts:    3,
			wantCalls:   [][2]int{{0, 100}, {100, 100}, {200, 50}, {200, 1}, {200, 1}},
			wantRefused: []int{200},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var calls [][2]int
			s := batch.Sender[int]{
				Action: "x:Put", Noun: "items", Size: 100, Attempts: tt.attempts, Backoff: time.Microsecond,
				Send: func(_ context.Context, b []int) ([]int, error) {
					calls = append(calls, [2]int{b[0], len(b)})
					return tt.refuse(len(calls), b), nil
				},
			}
			refused, err := s.SendAll(context.Background(), items)
			require.NoError(t, err)
			assert.Equal(t, tt.wantCalls, calls)
			assert.Equal(t, tt.wantRefused, refused)
		})
	}
}

func TestSendAllCallError(t *testing.T) {
	boom := errors.New("boom")
	calls := 0
	s := batch.Sender[int]{
		Action: "x:Put", Noun: "items", Size: 2, Attempts: 3,
		Send: func(_ context.Context, b []int) ([]int, error) {
			calls++
			if b[0] == 2 {
				return nil, boom
			}
			return nil, nil
		},
	}
	_, err := s.SendAll(context.Background(), []int{0, 1, 2, 3, 4})
	require.ErrorIs(t, err, boom)
	assert.EqualError(t, err, "3-4 of 5: boom")
	assert.Equal(t, 2, calls, "nothing is sent after a failed call")
}

func TestSendAllCancelledWhileWaiting(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	s := batch.Sender[int]{
		Action: "x:Put", Noun: "items", Size: 10, Attempts: 3, Backoff: time.Hour,
		Send: func(_ context.Context, b []int) ([]int, error) {
			cancel()
			return b, nil
		},
	}
	_, err := s.SendAll(ctx, []int{1, 2})
	require.ErrorIs(t, err, context.Canceled)
	assert.ErrorContains(t, err, "x:Put: waiting to re-send 2 failed items")
}
