package mock

import (
	"crypto/rand"
	"encoding/hex"
	"hash/maphash"
	"sync"
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
	next string
}

const tokenShards = 64

// tokenStore is a sharded map of issued tokens. Safe for concurrent use.
type tokenStore struct {
	seed   maphash.Seed
	shards [tokenShards]struct {
		mu sync.Mutex // guards m
		m  map[string]tokenEntry
	}
}

func newTokenStore() *tokenStore {
	t := &tokenStore{seed: maphash.MakeSeed()}
	for i := range t.shards {
		t.shards[i].m = make(map[string]tokenEntry)
	}
	return t
}

func newToken(prefix string) string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails (Go 1.24+)
	return prefix + hex.EncodeToString(b[:])
}

func (t *tokenStore) shard(tok string) int {
	return int(maphash.String(t.seed, tok) % tokenShards)
}

// issue remembers a new token of kind k valid until expires.
func (t *tokenStore) issue(k tokenKind, expires int64) string {
	prefix := "mockat-"
	if k == kindCC {
		prefix = "mockcc-"
	}
	tok := newToken(prefix)
	sh := &t.shards[t.shard(tok)]
	sh.mu.Lock()
	sh.m[tok] = tokenEntry{expires: expires, kind: k}
	sh.mu.Unlock()
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
	sh := &t.shards[t.shard(tok)]
	sh.mu.Lock()
	e, ok := sh.m[tok]
	sh.mu.Unlock()
	switch {
	case !ok || e.kind != k:
		return tokUnknown
	case now >= e.expires:
		return tokExpired
	}
	return tokValid
}

// renew returns the fresh ccmessaging-token that replaces the expired tok,
// issuing it on the first call and returning the same one after.
func (t *tokenStore) renew(tok string, now, lifetime int64) string {
	sh := &t.shards[t.shard(tok)]
	sh.mu.Lock()
	e := sh.m[tok]
	next := e.next
	sh.mu.Unlock()
	if next != "" {
		return next
	}
	fresh := t.issue(kindCC, now+lifetime)
	sh.mu.Lock()
	e = sh.m[tok]
	if e.next == "" {
		e.next = fresh
		sh.m[tok] = e
	}
	next = e.next
	sh.mu.Unlock()
	return next
}

// purge forgets tokens that expired before cutoff; afterwards they are unknown (401).
func (t *tokenStore) purge(cutoff int64) {
	for i := range t.shards {
		sh := &t.shards[i]
		sh.mu.Lock()
		for k, e := range sh.m {
			if e.expires < cutoff {
				delete(sh.m, k)
			}
		}
		sh.mu.Unlock()
	}
}
