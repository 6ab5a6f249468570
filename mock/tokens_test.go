package mock

import (
	"strings"
	"sync"
	"testing"
)

// TestTokenStoreRules: what a client sees of issued tokens, with the ccmessaging-tokens kept
// compactly by their random bytes: each kind accepted only as itself, expiry at its instant,
// a renewal shared by every caller of the expired token until the fresh one expires too, an
// altered token unknown, purge forgetting expired tokens, and a static token that happens to
// look like an issued one still accepted.
func TestTokenStoreRules(t *testing.T) {
	static := "mockcc-" + strings.Repeat("ab", 16)
	ts := newTokenStore("", static)
	at := ts.issue(kindAccess, 100)
	cc := ts.issue(kindCC, 100)
	if !strings.HasPrefix(cc, ccPrefix) || len(cc) != len(ccPrefix)+32 {
		t.Fatalf("issued ccmessaging-token %q, want %s and 32 hex digits", cc, ccPrefix)
	}
	for _, c := range []struct {
		name string
		k    tokenKind
		tok  string
		now  int64
		want tokenState
	}{
		{"access token as access", kindAccess, at, 99, tokValid},
		{"cc token as cc", kindCC, cc, 99, tokValid},
		{"cc token as access", kindAccess, cc, 99, tokUnknown},
		{"access token as cc", kindCC, at, 99, tokUnknown},
		{"cc token at its expiry", kindCC, cc, 100, tokExpired},
		{"cc token altered", kindCC, cc[:len(cc)-1] + string("0123456789abcdef"[(strings.IndexByte("0123456789abcdef", cc[len(cc)-1])+1)%16]), 99, tokUnknown},
		{"cc token in upper case", kindCC, strings.ToUpper(cc), 99, tokUnknown},
		{"static cc token of the issued form", kindCC, static, 1 << 62, tokValid},
	} {
		if got := ts.check(c.k, c.tok, c.now); got != c.want {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}

	// Concurrent renewals of one expired token learn one fresh token.
	var wg sync.WaitGroup
	fresh := make([]string, 8)
	for i := range fresh {
		wg.Go(func() { fresh[i] = ts.renew(cc, 150, 100) })
	}
	wg.Wait()
	for i, f := range fresh {
		if f != fresh[0] || f == cc || ts.check(kindCC, f, 150) != tokValid {
			t.Fatalf("renewal %d: %q (first %q), want one valid fresh token for every caller", i, f, fresh[0])
		}
	}
	if again := ts.renew(cc, 249, 100); again != fresh[0] {
		t.Errorf("renewing again while the fresh token is valid: %q, want %q", again, fresh[0])
	}
	if later := ts.renew(cc, 250, 100); later == fresh[0] || ts.check(kindCC, later, 250) != tokValid {
		t.Errorf("renewing after the fresh token expired: %q, want a new valid token", later)
	}
	ts.purge(101) // cc (expired at 100) goes; fresh ones stay
	if got := ts.check(kindCC, cc, 150); got != tokUnknown {
		t.Errorf("purged token: %v, want unknown", got)
	}
	if got := ts.check(kindCC, fresh[0], 150); got != tokValid {
		t.Errorf("the fresh token after the purge: %v, want valid", got)
	}
	if got := ts.renew(cc, 150, 100); ts.check(kindCC, got, 150) != tokValid {
		t.Errorf("renewing a purged token: %q is not valid", got)
	}
}
