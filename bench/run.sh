#!/usr/bin/env bash
# bench/run.sh: the side-by-side benchmark of `make bench`.
#
# Starts bench/target on loopback and drives it, in turn, with ccload
# (bench/chat.yaml), vegeta (pinned v12.13.0), wrk (Debian package)
# and two bare client loops (ccapi/h1 and net/http, bench/loop), all with the
# same CHAT body, headers and connection count, several times each (median),
# in two configurations: "shared" (no pinning) and "pinned" (target on core 0,
# generator on core 1). For each run it records the generator's CPU time and
# peak RSS (GNU time), its own latency figures, and the connections the target
# accepted. The table is printed and appended, dated and with the CPU model,
# to bench/RESULTS.md.
#
#   bench/run.sh            the side-by-side table (about 4 minutes)
#   bench/run.sh --quick    one short run per tool, nothing appended (smoke test)
#   bench/run.sh --goals    the issue's goal scenarios (see goals() below)
#
# Environment: BENCH_DURATION (seconds per run, default 6), BENCH_RUNS (3),
# BENCH_CONNS (64), BENCH_PORT (18090), BENCH_TOOLS (space-separated, default
# "ccload ccload-nethttp vegeta wrk loop-h1"; loop-nethttp is the other bare loop),
# BENCH_KEEP=1 (keep the temp dir with every run's raw output and report.json).
# Every process it starts listens on or sends to 127.0.0.1 only, and every run
# is bounded by its duration plus a hard timeout.
set -euo pipefail

cd "$(dirname "$0")/.."
ROOT=$PWD
MODE=${1:-table}
DURATION=${BENCH_DURATION:-6}
RUNS=${BENCH_RUNS:-3}
CONNS=${BENCH_CONNS:-64}
PORT=${BENCH_PORT:-18090}
TOOLS=${BENCH_TOOLS:-ccload ccload-nethttp vegeta wrk loop-h1}
APPEND=1
case "$MODE" in
--quick) DURATION=3 RUNS=1 APPEND=0 ;;
--goals | table) ;;
-h | --help)
	sed -n '2,25p' "$0"
	exit 0
	;;
*)
	echo "usage: bench/run.sh [--quick|--goals]" >&2
	exit 2
	;;
esac

WORK=$(mktemp -d /tmp/ccload-bench.XXXXXX)
TARGET_PID=
cleanup() {
	if [ -n "$TARGET_PID" ]; then kill "$TARGET_PID" 2>/dev/null || true; fi
	if [ "${BENCH_KEEP:-0}" = 1 ]; then
		echo "bench: raw outputs kept in $WORK" >&2
	else
		rm -rf "$WORK"
	fi
}
trap cleanup EXIT
log() { printf '[bench %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }

URL=http://127.0.0.1:$PORT/apiaccess/ccmessaging/sendAsync
BODY=$ROOT/bench/chat.json
# The headers ccapi sends on sendAsync (values are static benchmark tokens).
HEADERS=("Content-Type: application/json;charset=UTF-8" "x-app-key: bench-app"
	"Authorization: Bearer bench-access-token" "ccmessaging-token: bench-cc-token")

# ---- build everything once -------------------------------------------------
log "building ccload, bench/target, bench/loop, bench/tabulate"
NOTES=()
if ! go build -o "$WORK/ccload" . 2>"$WORK/ccload-build.log"; then
	NOTES+=("ccload skipped: it did not build ($(grep -m1 . "$WORK/ccload-build.log"))")
	TOOLS=${TOOLS//ccload-nethttp/}
	TOOLS=${TOOLS//ccload/}
fi
go build -o "$WORK/target" ./bench/target
go build -o "$WORK/loop" ./bench/loop
go build -o "$WORK/tabulate" ./bench/tabulate

if [ ! -x /usr/bin/time ]; then
	log "GNU time missing: installing the Debian package 'time'"
	apt-get install -y time >/dev/null 2>&1 || { echo "bench: /usr/bin/time is required (apt-get install time)" >&2; exit 2; }
fi

have_tool() { case " $TOOLS " in *" $1 "*) return 0 ;; *) return 1 ;; esac; }

if have_tool vegeta; then
	log "building vegeta v12.13.0 (pinned; not added to go.mod)"
	if ! GOBIN=$WORK go install github.com/tsenart/vegeta/v12@v12.13.0 2>"$WORK/vegeta-build.log"; then
		NOTES+=("vegeta skipped: it did not build ($(tail -1 "$WORK/vegeta-build.log"))")
		TOOLS=${TOOLS/vegeta/}
	fi
fi
if have_tool wrk && ! command -v wrk >/dev/null; then
	log "wrk missing: installing the Debian package"
	if ! { apt-get install -y wrk >/dev/null 2>&1 || { apt-get update >/dev/null 2>&1 && apt-get install -y wrk >/dev/null 2>&1; }; }; then
		NOTES+=("wrk skipped: the Debian package could not be installed")
		TOOLS=${TOOLS/wrk/}
	fi
fi
if have_tool ccload && ! "$WORK/ccload" validate bench/chat.yaml >/dev/null 2>&1; then
	NOTES+=("ccload skipped: 'ccload validate bench/chat.yaml' failed")
	TOOLS=${TOOLS//ccload-nethttp/}
	TOOLS=${TOOLS//ccload/}
fi

# Peers' inputs: the same body and headers.
{
	echo "POST $URL"
	printf '%s\n' "${HEADERS[@]}"
	echo "@$BODY"
} >"$WORK/vegeta.targets"
{
	echo 'local f = assert(io.open(os.getenv("BENCH_BODY"), "rb"))'
	echo 'wrk.method = "POST"'
	echo 'wrk.body = f:read("*a")'
	echo 'f:close()'
	for h in "${HEADERS[@]}"; do
		printf 'wrk.headers["%s"] = "%s"\n' "${h%%: *}" "${h#*: }"
	done
} >"$WORK/post.lua"
LOOP_HEADERS=()
for h in "${HEADERS[@]}"; do LOOP_HEADERS+=(--header "$h"); done

# ---- the target ------------------------------------------------------------
# http_get PATH: one GET to the target over bash's /dev/tcp (no curl needed).
http_get() {
	exec 9<>"/dev/tcp/127.0.0.1/$PORT"
	printf 'GET %s HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n' "$1" >&9
	timeout 5 cat <&9
	exec 9>&-
}

# start_target PIN DELAY: (re)start bench/target, pinned with taskset -c PIN unless PIN is "-".
start_target() {
	stop_target
	local pin=() ; [ "$1" != - ] && pin=(taskset -c "$1")
	"${pin[@]}" "$WORK/target" --addr "127.0.0.1:$PORT" --delay "$2" >"$WORK/target.log" 2>&1 &
	TARGET_PID=$!
	for _ in $(seq 50); do
		http_get /stats >/dev/null 2>&1 && return 0
		sleep 0.1
	done
	echo "bench: target did not start: $(cat "$WORK/target.log")" >&2
	exit 3
}
stop_target() {
	if [ -n "$TARGET_PID" ]; then
		kill "$TARGET_PID" 2>/dev/null || true
		wait "$TARGET_PID" 2>/dev/null || true
		TARGET_PID=
	fi
}

# ---- one measured run ------------------------------------------------------
# measure CONFIG TOOL N: run TOOL once against the target; results in $WORK/runs/CONFIG.TOOL.N/.
measure() {
	local cfg=$1 tool=$2 n=$3
	local dir=$WORK/runs/$cfg.$tool.$n
	mkdir -p "$dir"
	local pin=() threads=2
	if [ "$cfg" = pinned ]; then pin=(taskset -c 1) threads=1; fi
	local hard=$((DURATION + 60))
	http_get /reset >"$dir/stats0" 2>/dev/null || true
	local timecmd=(/usr/bin/time -f '%e %U %S %M' -o "$dir/time" timeout -s INT "$hard")
	case "$tool" in
	ccload | ccload-nethttp)
		# --grace 0s: the closed model's sessions (1,000,000 CHATs each) stop with
		# the run; the exchanges in flight then (at most one per customer) are
		# cancelled, and tabulate counts them as "cut at end", not as errors.
		local transport=h1
		[ "$tool" = ccload-nethttp ] && transport=nethttp
		CCLOAD_TRANSPORT=$transport "${timecmd[@]}" "${pin[@]}" "$WORK/ccload" run bench/chat.yaml \
			--target "http://127.0.0.1:$PORT" --duration "${DURATION}s" --grace 0s --no-progress \
			--out "$dir/report" >"$dir/stdout" 2>"$dir/stderr" || true
		cp "$dir/report/report.json" "$dir/out" 2>/dev/null || true
		;;
	vegeta)
		"${timecmd[@]}" "${pin[@]}" "$WORK/vegeta" attack -targets="$WORK/vegeta.targets" \
			-rate=0 -workers="$CONNS" -max-workers="$CONNS" -connections="$CONNS" \
			-max-connections="$CONNS" -duration="${DURATION}s" -timeout=10s \
			-output="$dir/results.bin" 2>"$dir/stderr" || true
		"$WORK/vegeta" report -type=json "$dir/results.bin" >"$dir/out" 2>>"$dir/stderr" || true
		rm -f "$dir/results.bin"
		;;
	wrk)
		BENCH_BODY=$BODY "${timecmd[@]}" "${pin[@]}" wrk -t"$threads" -c"$CONNS" -d"${DURATION}s" \
			--timeout 10s --latency -s "$WORK/post.lua" "$URL" >"$dir/out" 2>"$dir/stderr" || true
		;;
	loop-h1 | loop-nethttp)
		"${timecmd[@]}" "${pin[@]}" "$WORK/loop" --url "$URL" --client "${tool#loop-}" \
			--conns "$CONNS" --duration "${DURATION}s" --body "$BODY" "${LOOP_HEADERS[@]}" \
			>"$dir/out" 2>"$dir/stderr" || true
		;;
	esac
	sleep 0.5 # let the target see the generator's connections close
	http_get /stats >"$dir/stats1" 2>/dev/null || true
}

table() {
	local configs=(shared pinned)
	for cfg in "${configs[@]}"; do
		if [ "$cfg" = pinned ]; then start_target 0 0; else start_target - 0; fi
		for n in $(seq "$RUNS"); do
			for tool in $TOOLS; do
				log "$cfg run $n/$RUNS: $tool (${DURATION}s, $CONNS connections)"
				measure "$cfg" "$tool" "$n"
			done
		done
		stop_target
	done

	local cpu
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	{
		echo "### $(date -u '+%Y-%m-%d %H:%M UTC') — $cpu, $(nproc) cores, Go $(go env GOVERSION)"
		echo
		echo "$RUNS runs × ${DURATION}s per tool and configuration, median; $CONNS connections;" \
			"body $(wc -c <"$BODY") bytes (ccload renders its own; the target measured each tool's in 'body B')."
		echo "CPU µs/req = generator user+sys CPU / requests (= ms per 1,000 requests)."
		echo
		echo '```'
		"$WORK/tabulate" "$WORK/runs"
		for note in "${NOTES[@]}"; do echo "note: $note"; done
		echo '```'
		echo
	} >"$WORK/table.md"
	cat "$WORK/table.md"
	if [ "$APPEND" = 1 ]; then
		cat "$WORK/table.md" >>bench/RESULTS.md
		log "appended to bench/RESULTS.md"
	fi
}

case "$MODE" in
--goals) source "$ROOT/bench/goals.sh" ;;
*) table ;;
esac
