#!/usr/bin/env bash
# Builds kube-apiserver once from k8s.io/kubernetes through the Go module proxy and
# caches it under $CCLOAD_K8S_CACHE (default ~/.cache/ccload-k8s). Prints the binary's path.
#
# k8s.io/kubernetes is not meant to be required as a module: its go.mod replaces the
# staging modules (k8s.io/api, k8s.io/apiserver, ...) with ./staging paths and requires
# them at v0.0.0. A wrapper module requires it and replaces each staging module with
# its published tag (v1.X.Y -> v0.X.Y), then `go build`s cmd/kube-apiserver.
set -euo pipefail

K8S_VERSION=${K8S_VERSION:-v1.37.2}
STAGING_VERSION=v0.${K8S_VERSION#v1.}
CACHE=${CCLOAD_K8S_CACHE:-$HOME/.cache/ccload-k8s}
BIN=$CACHE/bin/kube-apiserver-$K8S_VERSION
GO=${GO:-go}

if [[ -x $BIN ]]; then
	echo "$BIN"
	exit 0
fi

SRC=$CACHE/src-$K8S_VERSION
mkdir -p "$SRC" "$CACHE/bin"
cd "$SRC"
printf 'module ccload-k8s-apiserver\n\ngo 1.26\n' >go.mod
modfile=$($GO mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",$/\1/p')
[[ -f $modfile ]] || { echo "build-apiserver: cannot download k8s.io/kubernetes@$K8S_VERSION" >&2; exit 1; }
# Every "k8s.io/x => ./staging/src/k8s.io/x" becomes "k8s.io/x => k8s.io/x v0.X.Y".
for m in $(sed -n 's#^[[:space:]]*\(k8s\.io/[^[:space:]]*\) => \./staging/src/.*#\1#p' "$modfile"); do
	$GO mod edit -replace="$m=$m@$STAGING_VERSION"
done
$GO mod edit -require="k8s.io/kubernetes@$K8S_VERSION"
echo "build-apiserver: building kube-apiserver $K8S_VERSION (first time only; minutes and a few GB of build cache)" >&2
$GO get -tool "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION" >&2
$GO build -trimpath -o "$BIN.tmp" k8s.io/kubernetes/cmd/kube-apiserver >&2
mv "$BIN.tmp" "$BIN"
echo "$BIN"
