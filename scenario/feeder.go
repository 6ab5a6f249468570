package scenario

import (
	"errors"
	"math/rand/v2"
	"sync"
)

// ErrFeederExhausted is returned by a unique feeder with no rows left and no wrap.
var ErrFeederExhausted = errors.New("data feeder exhausted")

// FeedOrder is how a feeder hands out rows.
type FeedOrder uint8

// Feeder orders.
const (
	Sequential FeedOrder = iota
	RandomOrder
	UniqueOrder // each row once per run; exhausted unless Wrap
)

// Feeder hands out rows of a CSV or line file to sessions. Safe for concurrent use.
type Feeder struct {
	Name    string
	Columns []string // for line files: ["line"]
	Order   FeedOrder
	Wrap    bool
	Rows    [][]string

	mu   sync.Mutex // guards next
	next int
}

// Next returns the row for a new session.
func (f *Feeder) Next(rng *rand.Rand) ([]string, error) {
	if f.Order == RandomOrder {
		return f.Rows[rng.IntN(len(f.Rows))], nil
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.next >= len(f.Rows) {
		if f.Order == UniqueOrder && !f.Wrap {
			return nil, ErrFeederExhausted
		}
		f.next = 0
	}
	r := f.Rows[f.next]
	f.next++
	return r, nil
}
