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
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
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
