#!/usr/bin/env bash
# Measures `ccload fit` on a large synthetic log: wall time and peak RSS.
# Usage: bench/fit-large.sh [MB]   (default 1024: the issue's 1 GB, about 3 million requests)
set -euo pipefail
mb=${1:-1024}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
go build -o "$dir/ccload" .
go run ./bench/genlog -mb "$mb" > "$dir/log.jsonl"
echo "log: $(du -h "$dir/log.jsonl" | cut -f1), $(wc -l < "$dir/log.jsonl") requests"
/usr/bin/time -f 'fit: %e s wall, %M KB peak RSS' "$dir/ccload" fit "$dir/log.jsonl" -o "$dir/fitted.yaml" > "$dir/summary.txt"
head -3 "$dir/summary.txt"
