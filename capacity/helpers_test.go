package capacity

import (
	"testing"

	"ccload/mock"
)

// testMock starts a mock on loopback (seed 1, no session timeout) with its options changed by
// edit: the referee that counts what a search sent.
func testMock(t *testing.T, edit func(*mock.Options)) *mock.Server {
	t.Helper()
	o := mock.DefaultOptions()
	o.Seed, o.SessionTimeout = 1, 0
	if edit != nil {
		edit(&o)
	}
	srv, err := mock.NewServer(o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}
