package main

import (
	"strconv"
	"strings"
	"testing"

	"ccload/scenario"
)

// deploy/job.yaml as the kubelet resolves it for pod I: CCLOAD_WEBHOOK_HOST is that pod's
// stable name under deploy/push-service.yaml, and the push scenario deploy/README.md shows,
// webhook: {listen: "${CCLOAD_WEBHOOK_HOST:-127.0.0.1}:9090"}, listens on it; without the
// variable (a laptop) it listens on loopback.
func TestPushJobGivesEachShardItsWebhookHost(t *testing.T) {
	job := readSimJob(t, "deploy/job.yaml")
	cmKeys, secretKeys := readmeObjects(t)
	fill := func(keys map[string][]string) map[string]map[string]string {
		objs := map[string]map[string]string{}
		for name, ks := range keys {
			objs[name] = map[string]string{}
			for _, k := range ks {
				objs[name][k] = "x"
			}
		}
		return objs
	}
	claims := map[string]string{"ccload-reports": t.TempDir()}
	const src = `auth: {app_key: k, app_secret: s}
target: {delivery: push}
webhook: {listen: "${CCLOAD_WEBHOOK_HOST:-127.0.0.1}:9090"}
load: {rate: 1, duration: 1s}
sessions:
  - steps: [connect, {chat: hi}, {await_reply: 5s}, disconnect]
`
	n := *job.Spec.Completions
	seen := map[string]bool{}
	for i := range n {
		p := simulatePod(t, job, i, fill(cmKeys), fill(secretKeys), claims)
		env := map[string]string{}
		for _, kv := range p.env {
			k, v, _ := strings.Cut(kv, "=")
			env[k] = v
		}
		want := "ccload-run-" + strconv.Itoa(i) + ".ccload-push.default.svc.cluster.local"
		if got := env["CCLOAD_WEBHOOK_HOST"]; got != want {
			t.Errorf("pod %d: CCLOAD_WEBHOOK_HOST = %q, want %q", i, got, want)
		}
		sc, err := scenario.Parse("push.yaml", []byte(src), ".", func(k string) (string, bool) { v, ok := env[k]; return v, ok })
		if err != nil {
			t.Fatal(err)
		}
		if sc.Webhook.Listen != want+":9090" {
			t.Errorf("pod %d: the scenario listens on %q, want %s:9090", i, sc.Webhook.Listen, want)
		}
		seen[sc.Webhook.Listen] = true
	}
	if len(seen) != n {
		t.Errorf("%d shards listen on %d distinct addresses; each needs its own", n, len(seen))
	}
	sc, err := scenario.Parse("push.yaml", []byte(src), ".", func(string) (string, bool) { return "", false })
	if err != nil {
		t.Fatal(err)
	}
	if sc.Webhook.Listen != "127.0.0.1:9090" {
		t.Errorf("without CCLOAD_WEBHOOK_HOST the scenario listens on %q, want 127.0.0.1:9090", sc.Webhook.Listen)
	}
}
