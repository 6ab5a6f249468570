// Package deploy checks the Kubernetes manifests beside it: each decodes strictly into the
// k8s.io/api types, and the fields that must agree across them and deploy/README.md do.
// It is its own module so the main go.mod stays lean; `make test` runs it (make k8s-check
// goes further: a real API server's dry run).
package deploy

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/serializer/json"
)

// decoder decodes YAML strictly: an unknown or duplicate field is an error, not silently dropped.
func decoder(t *testing.T) runtime.Decoder {
	t.Helper()
	scheme := runtime.NewScheme()
	if err := batchv1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	if err := corev1.AddToScheme(scheme); err != nil {
		t.Fatal(err)
	}
	return json.NewSerializerWithOptions(json.DefaultMetaFactory, scheme, scheme, json.SerializerOptions{Yaml: true, Strict: true})
}

// manifests decodes every deploy/*.yaml by file name.
func manifests(t *testing.T) map[string]runtime.Object {
	t.Helper()
	files, err := filepath.Glob("*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no manifests: %v", err)
	}
	dec := decoder(t)
	objs := map[string]runtime.Object{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		obj, _, err := dec.Decode(b, nil, nil)
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		objs[f] = obj
	}
	return objs
}

func TestStrictDecodingRejectsATypo(t *testing.T) {
	_, _, err := decoder(t).Decode([]byte("apiVersion: batch/v1\nkind: Job\nmetadata: {name: x}\nspec:\n  completion: 4\n"), nil, nil)
	if err == nil || !strings.Contains(err.Error(), `unknown field "spec.completion"`) {
		t.Fatalf("a misspelt field decoded: %v", err)
	}
}

// readme is what deploy/README.md's `kubectl create` commands make.
type readme struct {
	configMap, scenarioKey, startAtKey string
	secret                             string
	secretKeys                         []string
}

func readReadme(t *testing.T) readme {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	var r readme
	cm := regexp.MustCompile("`kubectl create configmap ([a-z0-9-]+) --from-file=([A-Za-z0-9_.-]+)=[^ `]+ --from-literal=([A-Za-z0-9_.-]+)=[^`]*`").FindSubmatch(b)
	if cm == nil {
		t.Fatal("README.md: no `kubectl create configmap NAME --from-file=KEY=FILE --from-literal=KEY=...` command")
	}
	r.configMap, r.scenarioKey, r.startAtKey = string(cm[1]), string(cm[2]), string(cm[3])
	sec := regexp.MustCompile("`kubectl create secret generic ([a-z0-9-]+)((?: --from-literal=[A-Z0-9_]+=[^ `]*)+)`").FindSubmatch(b)
	if sec == nil {
		t.Fatal("README.md: no `kubectl create secret generic NAME --from-literal=KEY=...` command")
	}
	r.secret = string(sec[1])
	for _, m := range regexp.MustCompile(`--from-literal=([A-Z0-9_]+)=`).FindAllSubmatch(sec[2], -1) {
		r.secretKeys = append(r.secretKeys, string(m[1]))
	}
	return r
}

func job(t *testing.T, objs map[string]runtime.Object, file string) *batchv1.Job {
	t.Helper()
	j, ok := objs[file].(*batchv1.Job)
	if !ok {
		t.Fatalf("%s: want a batch/v1 Job, have %T", file, objs[file])
	}
	if n := len(j.Spec.Template.Spec.Containers); n != 1 {
		t.Fatalf("%s: want one container, have %d", file, n)
	}
	return j
}

// show prints an optional count.
func show(p *int32) string {
	if p == nil {
		return "unset"
	}
	return strconv.Itoa(int(*p))
}

// arg returns the value of --name=value in args ("" when absent).
func arg(args []string, name string) string {
	for _, a := range args {
		if v, ok := strings.CutPrefix(a, "--"+name+"="); ok {
			return v
		}
	}
	return ""
}

func TestManifestsAgree(t *testing.T) {
	objs := manifests(t)
	rd := readReadme(t)
	run, merge := job(t, objs, "job.yaml"), job(t, objs, "merge-job.yaml")
	pvc, ok := objs["pvc.yaml"].(*corev1.PersistentVolumeClaim)
	if !ok {
		t.Fatalf("pvc.yaml: want a PersistentVolumeClaim, have %T", objs["pvc.yaml"])
	}
	if len(objs) != 4 {
		t.Errorf("deploy/ holds %d manifests; this test knows job.yaml, merge-job.yaml, pvc.yaml and push-service.yaml", len(objs))
	}
	checkPushService(t, objs)

	// The run Job: N indexed pods at once, never retried, each running shard I/N.
	c := run.Spec.Template.Spec.Containers[0]
	if run.Spec.CompletionMode == nil || *run.Spec.CompletionMode != batchv1.IndexedCompletion {
		t.Errorf("job.yaml: completionMode must be Indexed (JOB_COMPLETION_INDEX is the shard)")
	}
	shard := arg(c.Args, "shard")
	idx, nStr, _ := strings.Cut(shard, "/")
	n, err := strconv.Atoi(nStr)
	if idx != "$(JOB_COMPLETION_INDEX)" || err != nil || n < 1 {
		t.Fatalf("job.yaml: --shard=%q; want $(JOB_COMPLETION_INDEX)/N", shard)
	}
	if run.Spec.Completions == nil || *run.Spec.Completions != int32(n) || run.Spec.Parallelism == nil || *run.Spec.Parallelism != int32(n) {
		t.Errorf("job.yaml: completions %s, parallelism %s; want both %d, the N of --shard", show(run.Spec.Completions), show(run.Spec.Parallelism), n)
	}
	for f, j := range map[string]*batchv1.Job{"job.yaml": run, "merge-job.yaml": merge} {
		if j.Spec.BackoffLimit == nil || *j.Spec.BackoffLimit != 0 {
			t.Errorf("%s: backoffLimit must be 0 (a retried pod would replay or re-judge its work)", f)
		}
		if j.Spec.Template.Spec.RestartPolicy != corev1.RestartPolicyNever {
			t.Errorf("%s: restartPolicy must be Never", f)
		}
	}
	if a, b := c.Image, merge.Spec.Template.Spec.Containers[0].Image; a != b {
		t.Errorf("job.yaml runs image %q but merge-job.yaml %q: one ccload", a, b)
	}

	// The ConfigMap: the scenario file and the start instant, as the README creates it.
	mounts := func(spec corev1.PodSpec, pick func(corev1.Volume) bool) string {
		for _, v := range spec.Volumes {
			if pick(v) {
				for _, m := range spec.Containers[0].VolumeMounts {
					if m.Name == v.Name {
						return m.MountPath
					}
				}
			}
		}
		return ""
	}
	scenarioDir := mounts(run.Spec.Template.Spec, func(v corev1.Volume) bool { return v.ConfigMap != nil && v.ConfigMap.Name == rd.configMap })
	if scenarioDir == "" {
		t.Errorf("job.yaml mounts no volume of ConfigMap %q (README.md creates it)", rd.configMap)
	} else if len(c.Args) < 2 || c.Args[0] != "run" || c.Args[1] != scenarioDir+"/"+rd.scenarioKey {
		t.Errorf("job.yaml args %q; want run %s/%s (the ConfigMap's key)", c.Args, scenarioDir, rd.scenarioKey)
	}
	if got := arg(c.Args, "start-at"); got != "$(START_AT)" {
		t.Errorf("job.yaml: --start-at=%q; want $(START_AT)", got)
	}
	i := slices.IndexFunc(c.Env, func(e corev1.EnvVar) bool { return e.Name == "START_AT" })
	if i < 0 || c.Env[i].ValueFrom == nil || c.Env[i].ValueFrom.ConfigMapKeyRef == nil ||
		c.Env[i].ValueFrom.ConfigMapKeyRef.Name != rd.configMap || c.Env[i].ValueFrom.ConfigMapKeyRef.Key != rd.startAtKey {
		t.Errorf("job.yaml: START_AT must come from ConfigMap %s key %s", rd.configMap, rd.startAtKey)
	}

	// The Secret: its keys become the environment the scenario's ${VARS} read.
	if !slices.ContainsFunc(c.EnvFrom, func(e corev1.EnvFromSource) bool { return e.SecretRef != nil && e.SecretRef.Name == rd.secret }) {
		t.Errorf("job.yaml: envFrom must name Secret %q (README.md creates it)", rd.secret)
	}
	if !slices.Contains(rd.secretKeys, "CC_APP_KEY") || !slices.Contains(rd.secretKeys, "CC_APP_SECRET") {
		t.Errorf("README.md's Secret sets %q; the scenarios read CC_APP_KEY and CC_APP_SECRET", rd.secretKeys)
	}

	// The reports: every shard writes where the merge Job reads, on pvc.yaml's claim.
	claim := func(spec corev1.PodSpec) string {
		return mounts(spec, func(v corev1.Volume) bool {
			return v.PersistentVolumeClaim != nil && v.PersistentVolumeClaim.ClaimName == pvc.Name
		})
	}
	runDir, mergeDir := claim(run.Spec.Template.Spec), claim(merge.Spec.Template.Spec)
	if runDir == "" || mergeDir == "" {
		t.Fatalf("job.yaml and merge-job.yaml must both mount claim %q (mounted at %q and %q)", pvc.Name, runDir, mergeDir)
	}
	if !slices.Contains(pvc.Spec.AccessModes, corev1.ReadWriteMany) {
		t.Errorf("pvc.yaml: access modes %v; N pods write at once, so ReadWriteMany", pvc.Spec.AccessModes)
	}
	out := arg(c.Args, "out")
	var want []string
	for i := range n {
		want = append(want, strings.ReplaceAll(strings.Replace(out, runDir, mergeDir, 1), "$(JOB_COMPLETION_INDEX)", strconv.Itoa(i))+"/report.json")
	}
	margs := merge.Spec.Template.Spec.Containers[0].Args
	if len(margs) < 3 || margs[0] != "merge" || margs[1] != "-o" || !strings.HasPrefix(margs[2], mergeDir+"/") {
		t.Fatalf("merge-job.yaml args %q; want merge -o %s/... SHARD...", margs, mergeDir)
	}
	if got := margs[3:]; !slices.Equal(got, want) {
		t.Errorf("merge-job.yaml merges %q;\nwant the %d reports job.yaml writes: %q", got, n, want)
	}
	if !strings.Contains(out, "$(JOB_COMPLETION_INDEX)") {
		t.Errorf("job.yaml: --out=%q must differ per shard ($(JOB_COMPLETION_INDEX))", out)
	}
}
