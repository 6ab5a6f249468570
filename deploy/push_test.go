package deploy

import (
	"os"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// checkPushService: push-service.yaml is a headless Service selecting job.yaml's pods, named as
// job.yaml's subdomain, whose port reaches the container's webhook port, so pod I of the Job is
// reachable at ccload-run-I.ccload-push:PORT as deploy/README.md says.
func checkPushService(t *testing.T, objs map[string]runtime.Object) {
	t.Helper()
	svc, ok := objs["push-service.yaml"].(*corev1.Service)
	if !ok {
		t.Fatalf("push-service.yaml: want a v1 Service, have %T", objs["push-service.yaml"])
	}
	run := job(t, objs, "job.yaml")
	spec := run.Spec.Template.Spec
	if svc.Spec.ClusterIP != corev1.ClusterIPNone {
		t.Errorf("push-service.yaml: clusterIP %q; want None (headless: a DNS name per pod)", svc.Spec.ClusterIP)
	}
	if spec.Subdomain != svc.Name {
		t.Errorf("job.yaml: subdomain %q; want %q, the headless Service's name", spec.Subdomain, svc.Name)
	}
	if got := svc.Spec.Selector["batch.kubernetes.io/job-name"]; got != run.Name {
		t.Errorf("push-service.yaml selects job-name %q; want %q", got, run.Name)
	}
	if len(svc.Spec.Ports) != 1 {
		t.Fatalf("push-service.yaml: want one port, have %d", len(svc.Spec.Ports))
	}
	p := svc.Spec.Ports[0]
	var cport int32
	for _, cp := range spec.Containers[0].Ports {
		if cp.Name == p.TargetPort.String() {
			cport = cp.ContainerPort
		}
	}
	if cport == 0 || cport != p.Port {
		t.Errorf("push-service.yaml port %d → %q; job.yaml's container port of that name is %d: want them equal (the scenario's webhook.listen port)", p.Port, p.TargetPort.String(), cport)
	}
	checkWebhookHost(t, spec.Containers[0].Env, run.Name, svc.Name)
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `listen: "${CCLOAD_WEBHOOK_HOST:-127.0.0.1}:`+itoa(cport)+`"`) {
		t.Errorf("README.md does not show the push scenario's webhook.listen on ${CCLOAD_WEBHOOK_HOST} and port %d", cport)
	}
	addr := run.Name + "-I." + svc.Name + ".<namespace>.svc.cluster.local:" + p.TargetPort.String()
	want := strings.Replace(addr, ":webhook", ":"+itoa(cport), 1)
	if !strings.Contains(string(b), want) {
		t.Errorf("README.md does not name the shards' webhook address %s", want)
	}
}

func itoa(n int32) string {
	if n == 0 {
		return "0"
	}
	var b []byte
	for ; n > 0; n /= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
	}
	return string(b)
}

// checkWebhookHost: job.yaml gives every pod CCLOAD_WEBHOOK_HOST, its own stable DNS name
// JOB-I.SERVICE.NAMESPACE.svc.cluster.local, built as the kubelet expands $(VAR): only from
// variables defined before it, the completion index and namespace read by the downward API
// (the Job controller appends JOB_COMPLETION_INDEX after the template's own variables, so it
// cannot be used in an env value).
func checkWebhookHost(t *testing.T, env []corev1.EnvVar, jobName, svcName string) {
	t.Helper()
	want := map[string]string{
		"JOB_INDEX":     "metadata.annotations['batch.kubernetes.io/job-completion-index']",
		"POD_NAMESPACE": "metadata.namespace",
	}
	defined := map[string]bool{}
	for _, e := range env {
		if path, ok := want[e.Name]; ok {
			if e.ValueFrom == nil || e.ValueFrom.FieldRef == nil || e.ValueFrom.FieldRef.FieldPath != path {
				t.Errorf("job.yaml env %s: want valueFrom.fieldRef %s", e.Name, path)
			}
		}
		if e.Name == "CCLOAD_WEBHOOK_HOST" {
			host := jobName + "-$(JOB_INDEX)." + svcName + ".$(POD_NAMESPACE).svc.cluster.local"
			if e.Value != host {
				t.Errorf("job.yaml CCLOAD_WEBHOOK_HOST = %q; want %q (pod I's hostname %s-I under the headless Service %s)", e.Value, host, jobName, svcName)
			}
			for v := range want {
				if !defined[v] {
					t.Errorf("job.yaml: CCLOAD_WEBHOOK_HOST refers to $(%s) before it is defined (the kubelet would leave it unexpanded)", v)
				}
			}
		}
		defined[e.Name] = true
	}
	if !defined["CCLOAD_WEBHOOK_HOST"] {
		t.Error("job.yaml: no CCLOAD_WEBHOOK_HOST for push scenarios to listen on")
	}
}
