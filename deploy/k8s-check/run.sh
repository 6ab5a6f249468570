#!/usr/bin/env bash
# make k8s-check: applies every manifest of deploy/ to a real kube-apiserver with a server-side
# dry run, which checks what strict decoding cannot (defaulting, validation, admission).
#
# It builds kube-apiserver once (build-apiserver.sh, cached), installs Debian's etcd-server when
# etcd is missing, starts both on loopback with certificates and a token made here in a temp dir,
# applies deploy/*.yaml and the ConfigMap and Secret of deploy/README.md with
# `kubectl apply --dry-run=server`, and stops them. Nothing is created: it is a dry run.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
deploy=$(dirname "$here")
t0=$(date +%s)

need() { command -v "$1" >/dev/null || { echo "k8s-check: $1 not found: $2" >&2; exit 1; }; }
need kubectl "install kubectl"
need openssl "apt-get install openssl"
if ! command -v etcd >/dev/null; then
	echo "k8s-check: installing Debian's etcd-server" >&2
	if [[ $(id -u) -eq 0 ]]; then sudo=; else sudo=sudo; fi
	$sudo apt-get update -qq && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq etcd-server >/dev/null
fi
apiserver=$("$here/build-apiserver.sh")

tmp=$(mktemp -d /tmp/ccload-k8s-check.XXXXXX)
pids=()
# stop ends one process we started: TERM, up to 15 s to exit, then KILL.
stop() {
	kill "$1" 2>/dev/null || return 0
	for _ in $(seq 1 30); do
		kill -0 "$1" 2>/dev/null || { wait "$1" 2>/dev/null || true; return 0; }
		sleep 0.5
	done
	kill -KILL "$1" 2>/dev/null || true
	wait "$1" 2>/dev/null || true
}
# The API server first (its graceful shutdown needs etcd), then etcd.
cleanup() {
	for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop "${pids[i]}"; done
	rm -rf "$tmp"
}
trap cleanup EXIT

# Free loopback ports, picked by the kernel.
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
etcd_client=$(port) etcd_peer=$(port) api=$(port)

# A CA, the API server's serving certificate for 127.0.0.1, the service-account key and a token.
(
	cd "$tmp"
	openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=ccload-k8s-check-ca -keyout ca.key -out ca.crt 2>/dev/null
	openssl req -newkey rsa:2048 -nodes -subj /CN=kube-apiserver -keyout api.key -out api.csr 2>/dev/null
	printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >san.ext
	openssl x509 -req -in api.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile san.ext -out api.crt 2>/dev/null
	openssl genrsa -out sa.key 2048 2>/dev/null
	openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
	token=$(openssl rand -hex 16)
	printf '%s,ccload-k8s-check,ccload-k8s-check,system:masters\n' "$token" >tokens.csv
	printf '%s' "$token" >token
)

etcd --name ccload-k8s-check --data-dir "$tmp/etcd" \
	--listen-client-urls "http://127.0.0.1:$etcd_client" --advertise-client-urls "http://127.0.0.1:$etcd_client" \
	--listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
	--initial-cluster "ccload-k8s-check=http://127.0.0.1:$etcd_peer" >"$tmp/etcd.log" 2>&1 &
pids+=($!)

"$apiserver" --etcd-servers "http://127.0.0.1:$etcd_client" \
	--bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api" \
	--endpoint-reconciler-type none \
	--tls-cert-file "$tmp/api.crt" --tls-private-key-file "$tmp/api.key" \
	--token-auth-file "$tmp/tokens.csv" --authorization-mode RBAC \
	--service-account-issuer https://kubernetes.default.svc --service-account-key-file "$tmp/sa.pub" \
	--service-account-signing-key-file "$tmp/sa.key" --service-cluster-ip-range 10.96.0.0/24 \
	--cert-dir "$tmp/certs" >"$tmp/apiserver.log" 2>&1 &
pids+=($!)

export KUBECONFIG=$tmp/kubeconfig
kubectl config set-cluster check --server "https://127.0.0.1:$api" --certificate-authority "$tmp/ca.crt" --embed-certs >/dev/null
kubectl config set-credentials check --token "$(cat "$tmp/token")" >/dev/null
kubectl config set-context check --cluster check --user check --namespace default >/dev/null
kubectl config use-context check >/dev/null

ready=
for _ in $(seq 1 120); do
	if kubectl get --raw /readyz >/dev/null 2>&1 && kubectl get namespace default >/dev/null 2>&1; then ready=1; break; fi
	sleep 1
done
if [[ -z $ready ]]; then
	echo "k8s-check: kube-apiserver did not become ready in 120 s; its log ends:" >&2
	tail -20 "$tmp/apiserver.log" >&2
	echo "etcd's log ends:" >&2
	tail -5 "$tmp/etcd.log" >&2
	exit 1
fi
echo "k8s-check: kube-apiserver (k8s.io/kubernetes ${K8S_VERSION:-v1.37.2}) and etcd $(etcd --version | sed -n 's/^etcd Version: //p') on 127.0.0.1, ready after $(( $(date +%s) - t0 )) s"

fail=0
# The ConfigMap and Secret exactly as deploy/README.md creates them (placeholder values).
scenario=$deploy/../scenarios/peak-hour.yaml
kubectl create configmap ccload-scenario --from-file=scenario.yaml="$scenario" \
	--from-literal=start-at="$(date -u -d '+2 min' +%Y-%m-%dT%H:%M:%SZ)" --dry-run=client -o yaml >"$tmp/configmap.yaml"
kubectl create secret generic ccload-auth --from-literal=CC_APP_KEY=placeholder --from-literal=CC_APP_SECRET=placeholder \
	--dry-run=client -o yaml >"$tmp/secret.yaml"
for f in "$tmp/configmap.yaml" "$tmp/secret.yaml" "$deploy"/*.yaml; do
	case $f in
	"$deploy"/*) name=deploy/$(basename "$f") ;;
	*) name="deploy/README.md's $(basename "$f" .yaml)" ;;
	esac
	if out=$(kubectl apply --dry-run=server -f "$f" 2>&1); then
		echo "  ok    $name: $out"
	else
		echo "  FAIL  $name: $out"
		fail=1
	fi
done
# The check can fail: job.yaml without completions decodes fine, but the server refuses it.
sed '/^  completions:/d' "$deploy/job.yaml" >"$tmp/no-completions.yaml"
if out=$(kubectl apply --dry-run=server -f "$tmp/no-completions.yaml" 2>&1); then
	echo "  FAIL  job.yaml without completions was accepted: $out"
	fail=1
else
	echo "  ok    job.yaml without completions is refused: $out"
fi
echo "k8s-check: checks done $(( $(date +%s) - t0 )) s after start; stopping the servers"
cleanup
trap - EXIT
echo "k8s-check: $(( $(date +%s) - t0 )) s in all"
exit $fail
