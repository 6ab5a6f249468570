package main

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"testing"
)

// `ccload run --webhook-listen` on an address another process holds: exit 2, one line that
// names the address, the system's reason and what to change, without Go's "listen tcp" chain,
// and no report (nothing was sent).
func TestPushListenErrorSpeaksToTheUser(t *testing.T) {
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	addr := busy.Addr().String()
	sc := filepath.Join(t.TempDir(), "push.yaml")
	os.WriteFile(sc, []byte(`auth: {app_key: k, app_secret: s}
target: {delivery: push}
load: {rate: 1, duration: 1s}
sessions:
  - steps: [connect, {chat: hi}, {await_reply: 1s}, disconnect]
`), 0o644)
	out := t.TempDir()
	var so, se bytes.Buffer
	code := cmdRun(context.Background(), []string{sc, "--webhook-listen", addr, "--out", out, "--no-progress"}, &so, &se)
	want := "ccload run: cannot listen for webhooks on " + addr + ": address already in use; choose another webhook.listen or --webhook-listen\n"
	if code != exitUsage || se.String() != want {
		t.Errorf("exit %d, stderr\n %q\nwant exit %d and\n %q", code, se.String(), exitUsage, want)
	}
	if ents, _ := os.ReadDir(out); len(ents) != 0 {
		t.Errorf("a run that could not listen wrote %d files in --out", len(ents))
	}
}
