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

// tokenStore remembers issued tokens. Every request looks its two tokens up.
// AccessTokens are few (one per tokenByAkSk call) and shared by every customer, so
// their lookups must not serialise on a lock: they live in a sync.Map (a concurrent
// hash trie since Go 1.24), which reads without one, with the static tokens.
// ccmessaging-tokens are one per customer, a million at the issue-24 goal: a
// sync.Map entry, its boxed string key and the token string cost about 190 bytes
// each, so the ones the mock issued are kept by their 16 random bytes in sharded
// maps of plain values (about 40 bytes each, BenchmarkSessionFootprint).
// Safe for concurrent use.
type tokenStore struct {
	m  sync.Map // token string -> *tokenEntry: AccessTokens and the static tokens
	cc [ccShards]ccShard
}

// ccShards spreads the issued ccmessaging-tokens over locks and over maps that grow
// (and copy) separately.
const ccShards = 64

// ccPrefix starts every ccmessaging-token the mock issues; 32 hex digits follow.
const ccPrefix = "mockcc-"

// ccKey is an issued ccmessaging-token without its prefix: its random bytes.
type ccKey [16]byte

// ccShard is one lock's worth of issued ccmessaging-tokens.
type ccShard struct {
	mu sync.RWMutex
	// expires holds each token's expiry (server clock, ns).
	expires map[ccKey]int64
	// renewed holds, for an expired token that was renewed, the token that replaced it, so
	// concurrent calls carrying the old token (a poll beside a send) all learn the same one.
	renewed map[ccKey]ccRenewal
	_       [24]byte // keep shards on separate cache lines
}

type ccRenewal struct {
	next    ccKey
	expires int64
}

// parseCC returns the key of tok when it has the form of an issued ccmessaging-token.
func parseCC(tok string) (k ccKey, ok bool) {
	if len(tok) != len(ccPrefix)+2*len(k) || tok[:len(ccPrefix)] != ccPrefix {
		return k, false
	}
	h := tok[len(ccPrefix):]
	for i := range k {
		hi, ok1 := unhex(h[2*i])
		lo, ok2 := unhex(h[2*i+1])
		if !ok1 || !ok2 {
			return k, false
		}
		k[i] = hi<<4 | lo
	}
	return k, true
}

func unhex(c byte) (byte, bool) {
	switch {
	case '0' <= c && c <= '9':
		return c - '0', true
	case 'a' <= c && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

func (k ccKey) String() string { return ccPrefix + hex.EncodeToString(k[:]) }

func (t *tokenStore) shard(k ccKey) *ccShard { return &t.cc[k[0]%ccShards] } // the bytes are random

// newTokenStore returns a store that already holds the never-expiring static tokens given (empty: none).
func newTokenStore(access, cc string) *tokenStore {
	t := &tokenStore{}
	for i := range t.cc {
		t.cc[i].expires = make(map[ccKey]int64)
		t.cc[i].renewed = make(map[ccKey]ccRenewal)
	}
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
	if k == kindCC {
		return t.issueCC(expires).String()
	}
	tok := newToken("mockat-")
	t.m.Store(tok, &tokenEntry{expires: expires, kind: k})
	return tok
}

func (t *tokenStore) issueCC(expires int64) ccKey {
	var k ccKey
	_, _ = rand.Read(k[:])
	sh := t.shard(k)
	sh.mu.Lock()
	sh.expires[k] = expires
	sh.mu.Unlock()
	return k
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
	if key, ok := parseCC(tok); ok {
		sh := t.shard(key)
		sh.mu.RLock()
		exp, ok := sh.expires[key]
		sh.mu.RUnlock()
		switch {
		case !ok: // perhaps a static token of this form
		case k != kindCC:
			return tokUnknown
		case now >= exp:
			return tokExpired
		default:
			return tokValid
		}
	}
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
	if key, ok := parseCC(tok); ok {
		if s, ok := t.renewCC(key, now, lifetime); ok {
			return s
		}
	}
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
		t.forget(fresh) // another call renewed first: use its token
	}
	return t.issue(kindCC, now+lifetime)
}

// renewCC is renew for an issued ccmessaging-token; ok=false when the mock does not hold it.
func (t *tokenStore) renewCC(old ccKey, now, lifetime int64) (string, bool) {
	sh := t.shard(old)
	sh.mu.RLock()
	_, held := sh.expires[old]
	r, was := sh.renewed[old]
	sh.mu.RUnlock()
	if !held {
		return "", false
	}
	if was && now < r.expires {
		return r.next.String(), true
	}
	fresh := t.issueCC(now + lifetime) // outside old's lock: fresh may be in the same shard
	sh.mu.Lock()
	r, was = sh.renewed[old]
	if was && now < r.expires { // another call renewed first: use its token
		sh.mu.Unlock()
		t.forgetCC(fresh)
		return r.next.String(), true
	}
	sh.renewed[old] = ccRenewal{next: fresh, expires: now + lifetime}
	sh.mu.Unlock()
	return fresh.String(), true
}

// forget drops a token just issued that is not handed out.
func (t *tokenStore) forget(tok string) {
	if k, ok := parseCC(tok); ok {
		t.forgetCC(k)
		return
	}
	t.m.Delete(tok)
}

func (t *tokenStore) forgetCC(k ccKey) {
	sh := t.shard(k)
	sh.mu.Lock()
	delete(sh.expires, k)
	sh.mu.Unlock()
}

// purge forgets tokens that expired before cutoff; afterwards they are unknown (401).
func (t *tokenStore) purge(cutoff int64) {
	for i := range t.cc {
		sh := &t.cc[i]
		sh.mu.Lock()
		for k, exp := range sh.expires {
			if exp < cutoff {
				delete(sh.expires, k)
				delete(sh.renewed, k)
			}
		}
		sh.mu.Unlock()
	}
	t.m.Range(func(k, v any) bool {
		if v.(*tokenEntry).expires < cutoff {
			t.m.Delete(k)
		}
		return true
	})
}
