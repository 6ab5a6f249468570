#!/usr/bin/env bash
# bench/replay-vs-run.sh: does `ccload replay` sustain the requests per second `ccload run`
# does, on the `make bench` target (bench/target)?
#
#   1. ccload run bench/chat.yaml (64 customers sending CHAT back to back, closed model) for
#      BENCH_SECONDS against bench/target, --grace 0s as bench/run.sh: R_run requests/s.
#   2. bench/genlog -customers 64 writes the log of that loop offering 1.5 x R_run requests/s
#      for BENCH_SECONDS (same CHAT length), so the replayed customers are always behind their
#      schedule and send back to back, as run's do.
#   3. ccload replay LOG --scenario bench/chat.yaml (same auth, channel, no polling): R_replay.
#
# Prints both, their ratio and the request accounting of each. Environment: BENCH_SECONDS
# (default 5), BENCH_PORT (18091). Everything listens on or sends to 127.0.0.1 only, and each
# step is bounded by a hard timeout.
set -euo pipefail

cd "$(dirname "$0")/.."
SECONDS_RUN=${BENCH_SECONDS:-5}
PORT=${BENCH_PORT:-18091}
WORK=$(mktemp -d /tmp/ccload-rvr.XXXXXX)
TARGET_PID=
cleanup() {
	if [ -n "$TARGET_PID" ]; then kill "$TARGET_PID" 2>/dev/null || true; fi
	rm -rf "$WORK"
}
trap cleanup EXIT

command -v python3 >/dev/null || { echo "bench/replay-vs-run.sh: python3 is needed to read report.json" >&2; exit 2; }
go build -o "$WORK/ccload" .
go build -o "$WORK/target" ./bench/target
go build -o "$WORK/genlog" ./bench/genlog
"$WORK/target" --addr 127.0.0.1:$PORT 2>"$WORK/target.log" &
TARGET_PID=$!
sleep 0.5
URL=http://127.0.0.1:$PORT

rps() { # report.json -> "requests/s total ok duration"
	python3 -c 'import json,sys; r=json.load(open(sys.argv[1])); q=r["requests"]; d=r["duration_s"]; print("%.0f %d %d %.2f" % (q["total"]/d, q["total"], q["ok"], d))' "$1"
}

timeout $((SECONDS_RUN + 60)) "$WORK/ccload" run bench/chat.yaml --target "$URL" --duration "${SECONDS_RUN}s" --grace 0s \
	--no-progress --out "$WORK/run" >/dev/null 2>&1 || true
read -r R_RUN RUN_TOTAL RUN_OK RUN_D < <(rps "$WORK/run/report.json")

"$WORK/genlog" -customers 64 -rps $((R_RUN * 3 / 2)) -seconds "$SECONDS_RUN" >"$WORK/log.jsonl"
LINES=$(wc -l <"$WORK/log.jsonl")
timeout $((SECONDS_RUN * 4 + 60)) "$WORK/ccload" replay "$WORK/log.jsonl" --scenario bench/chat.yaml --target "$URL" \
	--max-events 10000000 --no-progress --out "$WORK/replay" >/dev/null 2>"$WORK/replay.err" || true
read -r R_REPLAY REP_TOTAL REP_OK REP_D < <(rps "$WORK/replay/report.json")

echo "date:    $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores ($(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')), load average $(cut -d' ' -f1-3 /proc/loadavg)"
echo "run:     $R_RUN requests/s ($RUN_TOTAL requests, $RUN_OK ok, in ${RUN_D} s)"
echo "replay:  $R_REPLAY requests/s ($REP_TOTAL requests, $REP_OK ok, in ${REP_D} s; the log has $LINES, offered at $((R_RUN * 3 / 2))/s)"
echo "ratio:   replay/run = $(python3 -c "print('%.2f' % ($R_REPLAY / $R_RUN))")"
grep -E '^replay:|×' "$WORK/replay.err" || true
