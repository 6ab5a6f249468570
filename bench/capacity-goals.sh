#!/usr/bin/env bash
# bench/capacity-goals.sh: the goals of `ccload capacity` (docs/capacity.md, "Measured"),
# each a search with default flags plus --budget 8m against `ccload mock --capacity R` on
# loopback, one at a time. Run it on a quiet machine: a search takes 3 to 8 minutes.
#
#   bench/capacity-goals.sh                 every goal below, in order
#   bench/capacity-goals.sh cust10k 4000x2  only those
#
# Goals (name: the scenario, the mock's capacity R, saturation):
#   RxN     sessions of N requests (N = 2: connect, disconnect; N = 3: connect, chat,
#           disconnect), static tokens (mock --accept-token), for R in 100 400 4000:
#           saturation R/N sessions/s
#   cust400 customers polling every 1 s, AK/SK, R = 400: 400 customers
#   cust10k customers polling every 5 s, AK/SK, R = 2000: 10,000 customers
# The answer should lie within 80-105% of saturation, exit 0 (docs/capacity.md says what
# the goal means at slow targets). Scenarios, each search's output, exit code, duration and
# load average go to $CAPGOALS_DIR (default /tmp/ccload-capacity-goals).
set -u
cd "$(dirname "$0")/.."
D=${CAPGOALS_DIR:-/tmp/ccload-capacity-goals}
mkdir -p "$D"
exec > >(tee -a "$D/goals.log") 2>&1
echo "== $(date -u +%FT%TZ) commit $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
go build -o "$D/ccload" . || { echo "build failed"; exit 1; }

rate_scenario() { # N: sessions of N requests (2 or 3) with static tokens
	local steps='[connect, disconnect]'
	[ "$1" = 3 ] && steps='[connect, {chat: hi}, disconnect]'
	cat <<YAML
name: s$1
auth:
  app_key: demo
  access_token: tok-capacity-goals-0123456789
  ccmessaging_token: msg-capacity-goals-0123456789
load:
  stages:
    - {duration: 10s, rate: 1}
sessions:
  - name: s
    poll: false
    steps: $steps
thresholds:
  - {metric: response_time.p99, max: 200ms}
  - {metric: error_rate, max: 1%}
YAML
}

customers_scenario() { # NAME POLL START: customers that connect and poll, AK/SK
	cat <<YAML
name: $1
auth: {app_key: demo, app_secret: demo}
load:
  model: closed
  stages:
    - {duration: 10s, customers: $3}
sessions:
  - name: s
    poll: {interval: $2}
    steps: [connect, {think: 10m}, disconnect]
thresholds:
  - {metric: response_time.p99, max: 200ms}
  - {metric: error_rate, max: 1%}
YAML
}

port=18750
search() { # NAME R SCENARIO [capacity flags...]
	local name=$1 r=$2 sc=$3
	shift 3
	port=$((port + 1))
	# The rate scenarios carry static tokens the mock must accept; the customers ones use AK/SK
	# (the mock refuses --accept-token for a scenario without tokens).
	local accept=()
	grep -q access_token "$sc" && accept=(--accept-token "$sc")
	"$D/ccload" mock --capacity "$r" --addr "127.0.0.1:$port" "${accept[@]}" > "$D/mock-$name.log" 2>&1 &
	local mp=$!
	sleep 1
	kill -0 "$mp" 2>/dev/null || { echo "== $name: the mock did not start:"; cat "$D/mock-$name.log"; return; }
	echo "== $name: ccload mock --capacity $r; start $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
	echo "\$ ccload capacity $(basename "$sc") $* --target http://127.0.0.1:$port --budget 8m --no-progress"
	local s
	s=$(date +%s)
	timeout 10m "$D/ccload" capacity "$sc" "$@" --target "http://127.0.0.1:$port" --budget 8m --no-progress \
		--out "$D/out-$name" > "$D/run-$name.txt" 2>&1
	local code=$?
	echo "exit $code after $(($(date +%s) - s)) s; end $(date -u +%FT%TZ); load $(cut -d' ' -f1-3 /proc/loadavg)"
	sed -n '/^capacity: [a-z]/,/^$/p' "$D/run-$name.txt" | grep -v '^capacity: step\|cool-down'
	kill "$mp"
	wait "$mp" 2>/dev/null
	sleep 2
}

rate_scenario 2 > "$D/s2.yaml"
rate_scenario 3 > "$D/s3.yaml"
customers_scenario cust400 1s 100 > "$D/cust400.yaml"
customers_scenario cust10k 5s 1000 > "$D/cust10k.yaml"

goals=("$@")
[ ${#goals[@]} -eq 0 ] && goals=(400x2 400x3 4000x2 4000x3 100x2 100x3 cust400 cust10k)
for g in "${goals[@]}"; do
	case $g in
	cust400) search cust400 400 "$D/cust400.yaml" --customers ;;
	cust10k) search cust10k 2000 "$D/cust10k.yaml" --customers ;;
	*x2 | *x3) search "$g" "${g%x*}" "$D/s${g#*x}.yaml" ;;
	*) echo "unknown goal $g (want RxN for R in 100 400 4000 and N in 2 3, cust400 or cust10k)" ;;
	esac
done
echo "== done $(date -u +%FT%TZ)"
