package mock

import (
	"crypto/rand"
	"encoding/hex"
	"math"
	"sync"
	"sync/atomic"
)

// tokenKind tells AccessTokens from ccmessaging-tokens: one is never accepted as the other.
type tokenKind uint8

const (
	kindAccess tokenKind = iota + 1
	kindCC
)

// tokenEntry is what the mock remembers of a token it issued.
type tokenEntry struct {
	expires int64 // server clock, ns
	kind    tokenKind
	// next is the fresh ccmessaging-token that replaced this expired one, so
	// concurrent calls carrying the old token (a poll beside a send) all learn the same one.
	next atomic.Pointer[string]
}

// tokenStore remembers issued tokens. Every request looks its two tokens up and
// all customers share one AccessToken, so lookups must not serialise on a lock:
// sync.Map (a concurrent hash trie since Go 1.24) reads without one.
// Safe for concurrent use.
type tokenStore struct {
	m sync.Map // token string -> *tokenEntry
}

// newTokenStore returns a store that already holds the never-expiring static tokens given (empty: none).
func newTokenStore(access, cc string) *tokenStore {
	t := &tokenStore{}
	if access != "" {
		t.m.Store(access, &tokenEntry{expires: math.MaxInt64, kind: kindAccess})
	}
	if cc != "" {
		t.m.Store(cc, &tokenEntry{expires: math.MaxInt64, kind: kindCC})
	}
	return t
}

func newToken(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + hex.EncodeToString(b[:])
}

// issue remembers a new token of kind k valid until expires.
func (t *tokenStore) issue(k tokenKind, expires int64) string {
	prefix := "mockat-"
	if k == kindCC {
		prefix = "mockcc-"
	}
	tok := newToken(prefix)
	t.m.Store(tok, &tokenEntry{expires: expires, kind: k})
	return tok
}

// tokenState is the verdict on a presented token.
type tokenState uint8

const (
	tokValid tokenState = iota
	tokUnknown
	tokExpired
)

// check looks tok up as kind k at time now.
func (t *tokenStore) check(k tokenKind, tok string, now int64) tokenState {
	v, ok := t.m.Load(tok)
	if !ok {
		return tokUnknown
	}
	e := v.(*tokenEntry)
	switch {
	case e.kind != k:
		return tokUnknown
	case now >= e.expires:
		return tokExpired
	}
	return tokValid
}

// renew returns the fresh ccmessaging-token that replaces the expired tok. The
// first call issues it; later calls with the same old token get the same one
// while it is valid, and a new one after it too has expired.
func (t *tokenStore) renew(tok string, now, lifetime int64) string {
	v, ok := t.m.Load(tok)
	if !ok { // purged meanwhile: still answer with a valid token
		return t.issue(kindCC, now+lifetime)
	}
	e := v.(*tokenEntry)
	for range 8 { // bounded: a lost race means someone else just renewed
		cur := e.next.Load()
		if cur != nil && t.check(kindCC, *cur, now) == tokValid {
			return *cur
		}
		fresh := t.issue(kindCC, now+lifetime)
		if e.next.CompareAndSwap(cur, &fresh) {
			return fresh
		}
		t.m.Delete(fresh) // another call renewed first: use its token
	}
	return t.issue(kindCC, now+lifetime)
}

// purge forgets tokens that expired before cutoff; afterwards they are unknown (401).
func (t *tokenStore) purge(cutoff int64) {
	t.m.Range(func(k, v any) bool {
		if v.(*tokenEntry).expires < cutoff {
			t.m.Delete(k)
		}
		return true
	})
}
