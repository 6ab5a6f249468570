package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.yaml.in/yaml/v3"

	"ccload/gates"
	"ccload/mock"
	"ccload/report"
	"ccload/runner"
	"ccload/scenario"
)

// The parts of a Job manifest the simulation plays: what a pod runs, its environment and volumes.
type simJob struct {
	Spec struct {
		Completions *int `yaml:"completions"`
		Parallelism *int `yaml:"parallelism"`
		Template    struct {
			Spec struct {
				Containers []struct {
					Args []string `yaml:"args"`
					Env  []struct {
						Name      string `yaml:"name"`
						Value     string `yaml:"value"`
						ValueFrom *struct {
							ConfigMapKeyRef *struct{ Name, Key string } `yaml:"configMapKeyRef"`
							SecretKeyRef    *struct{ Name, Key string } `yaml:"secretKeyRef"`
							FieldRef        *struct {
								FieldPath string `yaml:"fieldPath"`
							} `yaml:"fieldRef"`
						} `yaml:"valueFrom"`
					} `yaml:"env"`
					EnvFrom []struct {
						SecretRef    *struct{ Name string } `yaml:"secretRef"`
						ConfigMapRef *struct{ Name string } `yaml:"configMapRef"`
					} `yaml:"envFrom"`
					VolumeMounts []struct {
						Name      string `yaml:"name"`
						MountPath string `yaml:"mountPath"`
					} `yaml:"volumeMounts"`
				} `yaml:"containers"`
				Volumes []simVolume `yaml:"volumes"`
			} `yaml:"spec"`
		} `yaml:"template"`
	} `yaml:"spec"`
}

// simVolume is a pod volume: a ConfigMap's keys as files, or a PersistentVolumeClaim.
type simVolume struct {
	Name      string `yaml:"name"`
	ConfigMap *struct {
		Name string `yaml:"name"`
	} `yaml:"configMap"`
	PVC *struct {
		ClaimName string `yaml:"claimName"`
	} `yaml:"persistentVolumeClaim"`
}

func readSimJob(t *testing.T, path string) *simJob {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var j simJob
	if err := yaml.Unmarshal(b, &j); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	if len(j.Spec.Template.Spec.Containers) != 1 {
		t.Fatalf("%s: want one container, have %d", path, len(j.Spec.Template.Spec.Containers))
	}
	return &j
}

// readmeObjects returns the keys of the ConfigMaps and Secrets deploy/README.md's `kubectl create`
// commands make, by object name: the simulation fills those keys with its own values.
func readmeObjects(t *testing.T) (configMaps, secrets map[string][]string) {
	t.Helper()
	b, err := os.ReadFile("deploy/README.md")
	if err != nil {
		t.Fatal(err)
	}
	configMaps, secrets = map[string][]string{}, map[string][]string{}
	create := regexp.MustCompile("`kubectl create (configmap|secret generic) ([a-z0-9-]+)([^`]*)`")
	key := regexp.MustCompile(`--from-(?:file|literal)=([A-Za-z0-9_.-]+)=`)
	for _, m := range create.FindAllStringSubmatch(string(b), -1) {
		dst := configMaps
		if m[1] != "configmap" {
			dst = secrets
		}
		for _, k := range key.FindAllStringSubmatch(m[3], -1) {
			dst[m[2]] = append(dst[m[2]], k[1])
		}
	}
	if len(configMaps) == 0 || len(secrets) == 0 {
		t.Fatalf("deploy/README.md: no `kubectl create configmap` or `kubectl create secret generic` command found")
	}
	return configMaps, secrets
}

// pod is one simulated pod: its argv and environment, with volumes mapped to local directories.
type pod struct {
	args []string
	env  []string
}

var envRef = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_]*)\)`)

// simulatePod resolves a Job's container as the kubelet would for completion index (-1: not an
// Indexed Job): env from the ConfigMaps and Secrets, $(VAR) in args, and each volume's mount
// path replaced by a local directory (configMap: one file per key; PVC: claims[claimName]).
func simulatePod(t *testing.T, j *simJob, index int, configMaps, secrets map[string]map[string]string, claims map[string]string) pod {
	t.Helper()
	c := j.Spec.Template.Spec.Containers[0]
	env := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := env[k]; !ok {
			order = append(order, k)
		}
		env[k] = v
	}
	if index >= 0 {
		set("JOB_COMPLETION_INDEX", strconv.Itoa(index))
	}
	lookup := func(kind string, objs map[string]map[string]string, name, key string) string {
		obj, ok := objs[name]
		if !ok {
			t.Fatalf("the Job refers to %s %q, which deploy/README.md does not create", kind, name)
		}
		v, ok := obj[key]
		if !ok {
			t.Fatalf("the Job refers to key %q of %s %q, which deploy/README.md does not set", key, kind, name)
		}
		return v
	}
	for _, ef := range c.EnvFrom {
		switch {
		case ef.SecretRef != nil:
			obj, ok := secrets[ef.SecretRef.Name]
			if !ok {
				t.Fatalf("envFrom Secret %q: deploy/README.md does not create it", ef.SecretRef.Name)
			}
			for _, k := range slices.Sorted(mapKeys(obj)) {
				set(k, obj[k])
			}
		case ef.ConfigMapRef != nil:
			t.Fatalf("envFrom configMapRef %q: not simulated", ef.ConfigMapRef.Name)
		}
	}
	for _, e := range c.Env {
		switch {
		case e.ValueFrom == nil:
			set(e.Name, envRef.ReplaceAllStringFunc(e.Value, func(s string) string { return env[s[2:len(s)-1]] }))
		case e.ValueFrom.ConfigMapKeyRef != nil:
			set(e.Name, lookup("ConfigMap", configMaps, e.ValueFrom.ConfigMapKeyRef.Name, e.ValueFrom.ConfigMapKeyRef.Key))
		case e.ValueFrom.SecretKeyRef != nil:
			set(e.Name, lookup("Secret", secrets, e.ValueFrom.SecretKeyRef.Name, e.ValueFrom.SecretKeyRef.Key))
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.namespace":
			set(e.Name, "default")
		case e.ValueFrom.FieldRef != nil && e.ValueFrom.FieldRef.FieldPath == "metadata.annotations['batch.kubernetes.io/job-completion-index']" && index >= 0:
			set(e.Name, strconv.Itoa(index)) // the annotation the Job controller puts on pod I
		default:
			t.Fatalf("env %s: valueFrom not simulated", e.Name)
		}
	}
	mounts := map[string]string{} // mount path -> local dir
	for _, vm := range c.VolumeMounts {
		i := slices.IndexFunc(j.Spec.Template.Spec.Volumes, func(v simVolume) bool { return v.Name == vm.Name })
		if i < 0 {
			t.Fatalf("volumeMount %q has no volume", vm.Name)
		}
		v := j.Spec.Template.Spec.Volumes[i]
		switch {
		case v.ConfigMap != nil:
			dir := t.TempDir()
			for k, val := range configMaps[v.ConfigMap.Name] {
				if err := os.WriteFile(filepath.Join(dir, k), []byte(val), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			if _, ok := configMaps[v.ConfigMap.Name]; !ok {
				t.Fatalf("volume %q mounts ConfigMap %q, which deploy/README.md does not create", v.Name, v.ConfigMap.Name)
			}
			mounts[vm.MountPath] = dir
		case v.PVC != nil:
			dir, ok := claims[v.PVC.ClaimName]
			if !ok {
				t.Fatalf("volume %q claims %q, which is not deploy/pvc.yaml's claim", v.Name, v.PVC.ClaimName)
			}
			mounts[vm.MountPath] = dir
		default:
			t.Fatalf("volume %q: kind not simulated", v.Name)
		}
	}
	var p pod
	for _, a := range c.Args {
		a = envRef.ReplaceAllStringFunc(a, func(s string) string {
			v, ok := env[s[2:len(s)-1]]
			if !ok {
				return s // Kubernetes leaves an unknown $(VAR) as it is
			}
			return v
		})
		for mp, dir := range mounts {
			a = strings.ReplaceAll(a, mp+"/", dir+"/")
		}
		p.args = append(p.args, a)
	}
	for _, k := range order {
		p.env = append(p.env, k+"="+env[k])
	}
	return p
}

func mapKeys(m map[string]string) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// runPod runs ccload as a pod would and returns its exit code and output. Not Fatal on error:
// pods run on their own goroutines.
func runPod(t *testing.T, p pod) (int, string) {
	t.Helper()
	var out syncBuffer
	r := ccloadWith(t, ccloadOpts{env: p.env, stdout: &out, stderr: &out, timeout: 90 * time.Second}, p.args...)
	return r.code, out.String()
}

// simScenario is deterministic in its counts: evenly spaced arrivals (no Poisson draw), every session
// the same three requests, no randomness that changes what is sent. Its rps threshold fails on every
// shard's slice (about 31 requests over the 2 s stages: 15/s) and passes on the whole run (about 121
// requests: 60/s), so only the merge may judge it.
const simScenario = `name: job-sim
seed: 7
target: {url: TARGET_URL}
auth: {app_key: "${CC_APP_KEY}", app_secret: "${CC_APP_SECRET}"}
channel: {to: "1011577355744904195"}
load:
  model: open
  arrivals: uniform
  stages: [{duration: 2s, rate: 15}]
sessions:
  - name: ask
    poll: false
    steps: [connect, {chat: "hello"}, disconnect]
thresholds:
  - {metric: error_rate, max: 1%}
  - {metric: rps, min: 20}
`

// TestJobSimulated plays deploy/job.yaml as Kubernetes would (N pods, JOB_COMPLETION_INDEX set, the
// ConfigMap and Secret of deploy/README.md wired as the manifest says) against a loopback mock that
// accepts only the Secret's credentials, then deploy/merge-job.yaml on their reports, and checks the
// merge against one unsharded run of the same scenario and against what the mock received.
func TestJobSimulated(t *testing.T) {
	realTime(t)
	ccloadBinary(t) // built before the pods start
	job := readSimJob(t, "deploy/job.yaml")
	merge := readSimJob(t, "deploy/merge-job.yaml")
	if job.Spec.Completions == nil || job.Spec.Parallelism == nil || *job.Spec.Completions != *job.Spec.Parallelism {
		t.Fatalf("job.yaml: completions and parallelism must be set and equal")
	}
	n := *job.Spec.Completions
	const key, secret = "sim-app-key", "sim-app-secret"
	creds := func(o *mock.Options) { o.AppKey, o.AppSecret = key, secret }
	sharded, whole := e2eMock(t, creds), e2eMock(t, creds)

	cmKeys, secretKeys := readmeObjects(t)
	// Far enough ahead that N processes start on a loaded 2-core machine before it (at second
	// precision, as the README's `date` writes it).
	start := time.Now().Add(6 * time.Second).UTC().Truncate(time.Second)
	fill := func(url string) (map[string]map[string]string, map[string]map[string]string) {
		cms, secs := map[string]map[string]string{}, map[string]map[string]string{}
		for name, keys := range cmKeys {
			cms[name] = map[string]string{}
			for _, k := range keys {
				switch {
				case strings.HasSuffix(k, ".yaml"):
					cms[name][k] = strings.ReplaceAll(simScenario, "TARGET_URL", url)
				case k == "start-at":
					cms[name][k] = start.Format(time.RFC3339)
				default:
					t.Fatalf("deploy/README.md: ConfigMap %s key %q: the simulation does not know what to put there", name, k)
				}
			}
		}
		for name, keys := range secretKeys {
			secs[name] = map[string]string{}
			for _, k := range keys {
				switch k {
				case "CC_APP_KEY":
					secs[name][k] = key
				case "CC_APP_SECRET":
					secs[name][k] = secret
				default:
					secs[name][k] = "unused"
				}
			}
		}
		return cms, secs
	}
	reports := t.TempDir()
	claims := map[string]string{"ccload-reports": reports}

	// The N pods of the Indexed Job, all at once (parallelism = completions), and beside them one
	// unsharded run of the same scenario against its own mock.
	cms, secs := fill(sharded.URL())
	var wg sync.WaitGroup
	codes, outs := make([]int, n), make([]string, n)
	for i := range n {
		p := simulatePod(t, job, i, cms, secs, claims)
		wg.Go(func() { codes[i], outs[i] = runPod(t, p) })
	}
	wcms, wsecs := fill(whole.URL())
	scenarioFile := filepath.Join(t.TempDir(), "scenario.yaml")
	for _, v := range wcms {
		for k, text := range v {
			if strings.HasSuffix(k, ".yaml") {
				os.WriteFile(scenarioFile, []byte(text), 0o644)
			}
		}
	}
	var wholeEnv []string
	for _, v := range wsecs {
		for k, val := range v {
			wholeEnv = append(wholeEnv, k+"="+val)
		}
	}
	wholeOut := filepath.Join(t.TempDir(), "whole")
	wholeCode, wholeLog := runPod(t, pod{args: []string{"run", scenarioFile, "--out", wholeOut, "--no-progress"}, env: wholeEnv})
	wg.Wait()

	// The whole run passes. No pod fails on the rps threshold, which its slice cannot judge (with
	// backoffLimit: 0 a failed pod would fail the Job of a passing run): it records it as judged
	// by merge, with the slice's value under the limit.
	if wholeCode != exitOK {
		t.Fatalf("unsharded run: exit %d; want 0 (every threshold passes):\n%s", wholeCode, wholeLog)
	}
	var shardFiles []string
	for i := range n {
		if codes[i] != exitOK {
			t.Fatalf("pod %d: exit %d; want 0 (its slice cannot judge rps):\n%s", i, codes[i], outs[i])
		}
		f := filepath.Join(reports, fmt.Sprintf("shard-%d", i), report.FileName)
		r, err := report.ReadFile(f)
		if err != nil {
			t.Fatalf("pod %d wrote no report where merge-job.yaml reads it: %v", i, err)
		}
		if len(r.Thresholds) != 2 || r.Thresholds[1].Metric != "rps" || r.Thresholds[1].NotJudged != gates.JudgedByMerge || r.Thresholds[1].Value >= 20 {
			t.Errorf("pod %d: thresholds %+v; want rps recorded as judged by merge, measured under its limit 20/s on the slice", i, r.Thresholds)
		}
		if r.Shard == nil || *r.Shard != (report.ShardID{I: i, N: n}) || !r.StartAt.Equal(start) || r.Seed != 7 {
			t.Errorf("pod %d: shard %v, start_at %v, seed %d; want %d/%d, %v, 7", i, r.Shard, r.StartAt, r.Seed, i, n, start)
		}
		if !r.StartedAt.Equal(start) {
			t.Errorf("pod %d: schedule began at %v, not at --start-at %v (warnings %q)", i, r.StartedAt, start, r.Warnings)
		}
		shardFiles = append(shardFiles, f)
	}

	// The merge Job, on the same claim.
	mp := simulatePod(t, merge, -1, cms, secs, claims)
	code, log := runPod(t, mp)
	if code != exitOK {
		t.Fatalf("merge job: exit %d; want 0 (the rps threshold passes on the merged report):\n%s", code, log)
	}
	out := mp.args[slices.Index(mp.args, "-o")+1]
	m, err := report.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	w, err := report.ReadFile(filepath.Join(wholeOut, report.FileName))
	if err != nil {
		t.Fatal(err)
	}
	counts := func(r *report.Report) map[string]int64 {
		c := map[string]int64{}
		for _, g := range r.Groups {
			c[g.Name] = g.Count
		}
		return c
	}
	// Per session: one applyToken and the three sends. Per process: one tokenByAkSk (each shard
	// takes its own AccessToken), so the merge has n of those where the unsharded run has one.
	wc, mc := counts(w), counts(m)
	if w.Sessions.Arrivals != 30 || w.Requests.Total != 30*4+1 || wc["tokenByAkSk"] != 1 {
		t.Fatalf("unsharded run: %d arrivals, %d requests (%v); want 30 arrivals, 30 x 4 requests + 1 tokenByAkSk", w.Sessions.Arrivals, w.Requests.Total, wc)
	}
	if mc["tokenByAkSk"] != int64(n) {
		t.Errorf("merged tokenByAkSk %d; want one per shard, %d", mc["tokenByAkSk"], n)
	}
	delete(wc, "tokenByAkSk")
	delete(mc, "tokenByAkSk")
	if !maps.Equal(mc, wc) {
		t.Errorf("merged groups %v; unsharded %v", mc, wc)
	}
	if !reflect.DeepEqual(m.Sessions, w.Sessions) || m.Requests.Total != w.Requests.Total+int64(n-1) || m.Requests.OK != w.Requests.OK+int64(n-1) {
		t.Errorf("merged sessions %+v requests %+v;\nunsharded sessions %+v requests %+v", m.Sessions, m.Requests, w.Sessions, w.Requests)
	}
	if got := sharded.Stats().Total(); got != m.Requests.Total {
		t.Errorf("the mock received %d requests from the pods; the merged report counts %d", got, m.Requests.Total)
	}
	if m.Shards != n || len(m.MissingShards) != 0 || !m.StartAt.Equal(start) {
		t.Errorf("merged: shards %d, missing %v, start_at %v", m.Shards, m.MissingShards, m.StartAt)
	}
	verdict := func(r *report.Report) []string {
		var v []string
		for _, th := range r.Thresholds {
			v = append(v, fmt.Sprintf("%s %s pass=%v", th.Metric, th.Limit, th.Pass))
		}
		return v
	}
	if mv, wv := verdict(m), verdict(w); len(mv) != 2 || !slices.Equal(mv, wv) || slices.ContainsFunc(m.Thresholds, report.ThresholdResult.Failed) {
		t.Errorf("merged thresholds %q; unsharded %q; want both passed", mv, wv)
	}
	// Aligned by wall clock: the shards' arrivals begin in the same interval as the unsharded
	// run's and span as many intervals. (Which of two neighbouring intervals an arrival lands in
	// depends on when the collector sees it, so per-interval counts are not compared.)
	arrivals := func(r *report.Report) (first, span int, sum int64) {
		first = -1
		for i, p := range r.Timeseries {
			if p.Arrivals > 0 {
				if first < 0 {
					first = i
				}
				span = i - first + 1
			}
			sum += p.Arrivals
		}
		return first, span, sum
	}
	mf, ms, msum := arrivals(m)
	wf, ws, wsum := arrivals(w)
	if mf != wf || ms-ws > 1 || ws-ms > 1 || msum != wsum || msum != m.Sessions.Arrivals {
		t.Errorf("merged arrivals from interval %d over %d intervals, %d in all; unsharded from %d over %d, %d", mf, ms, msum, wf, ws, wsum)
	}

	// What merge refuses, naming the files: a shard twice, an incomplete set (unless --partial).
	twice := append([]string{"merge", "-o", filepath.Join(t.TempDir(), "m.json")}, shardFiles[0], shardFiles[0])
	if code, log := runPod(t, pod{args: append(twice, shardFiles[1:]...)}); code != exitUsage || strings.Count(log, shardFiles[0]) < 2 || !strings.Contains(log, "both shard 0/") {
		t.Errorf("merging shard 0 twice: exit %d:\n%s", code, log)
	}
	partialOut := filepath.Join(t.TempDir(), "partial.json")
	some := append([]string{"merge", "-o", partialOut}, shardFiles[:n-1]...)
	if code, log := runPod(t, pod{args: some}); code != exitUsage || !strings.Contains(log, fmt.Sprintf("shard %d of %d missing", n-1, n)) {
		t.Errorf("incomplete set: exit %d:\n%s", code, log)
	}
	if code, log := runPod(t, pod{args: append([]string{"merge", "--partial"}, some[1:]...)}); code == exitUsage {
		t.Errorf("incomplete set with --partial: exit %d:\n%s", code, log)
	} else if p, err := report.ReadFile(partialOut); err != nil {
		t.Error(err)
	} else if !slices.Equal(p.MissingShards, []int{n - 1}) {
		t.Errorf("partial merge: missing %v; want [%d]", p.MissingShards, n-1)
	}
}

// A relative --start-at counts from each process's own start, so it cannot line up shards that a
// cluster starts apart: a sharded run refuses it, naming the flag and the absolute form, and sends nothing.
func TestShardsNeedAnAbsoluteStartAt(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "s.yaml")
	os.WriteFile(file, []byte("name: s\nseed: 1\nload: {stages: [{duration: 1s, rate: 1}]}\nsessions: [{name: s, steps: [connect, disconnect]}]\n"), 0o644)
	var so, se bytes.Buffer
	out := filepath.Join(dir, "out")
	code := ccloadTo(t, []string{"run", file, "--shard", "1/4", "--start-at", "3s", "--out", out}, &so, &se)
	if code != exitUsage || !strings.Contains(se.String(), "--start-at 3s is relative") || !strings.Contains(se.String(), "RFC 3339") {
		t.Errorf("--shard 1/4 --start-at 3s: exit %d, stderr %q; want 2 naming the absolute form", code, se.String())
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("the refused run wrote %s", out)
	}
}

// abort_on_fail follows the shard rule: a whole run aborts on a failing rps threshold, a shard
// (whose slice carries only part of the rate) plays its schedule to the end and leaves the
// verdict to the merge.
func TestShardDoesNotAbortOnWhatOnlyTheMergeJudges(t *testing.T) {
	realTime(t)
	srv := e2eMock(t, nil)
	const text = `name: abort-shard
seed: 4
auth: {app_key: k, app_secret: s}
channel: {to: "1011577355744904195"}
load: {arrivals: uniform, stages: [{duration: 3s, rate: 10}]}
sessions:
  - name: s
    poll: false
    steps: [connect, {chat: hi}, disconnect]
thresholds:
  - {metric: rps, min: 1000, abort_on_fail: true, after: 1s}
`
	sc, err := scenario.Parse("abort.yaml", []byte(text), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	run := func(shard runner.Shard) *report.Report {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		rep, err := runner.Run(ctx, runner.Config{Scenario: sc, BaseURL: srv.URL(), Grace: 2 * time.Second,
			Shard: shard, Stderr: io.Discard})
		if err != nil || rep == nil {
			t.Fatalf("run %v: %v", shard, err)
		}
		return rep
	}
	if whole := run(runner.Shard{}); !strings.HasPrefix(whole.StopReason, "aborted: ") || exitCode(whole) != exitFailed {
		t.Errorf("whole run: stop reason %q, exit %d; want aborted by the rps threshold, exit 1", whole.StopReason, exitCode(whole))
	}
	shard := run(runner.Shard{I: 1, N: 2})
	if shard.StopReason != "completed" || exitCode(shard) != exitOK || shard.Thresholds[0].NotJudged != gates.JudgedByMerge {
		t.Errorf("shard 1/2: stop reason %q, exit %d, threshold %+v; want completed, exit 0, judged by merge", shard.StopReason, exitCode(shard), shard.Thresholds[0])
	}
}
