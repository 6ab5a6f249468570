#!/usr/bin/env bash
# bench/callgrind.sh: the runner's overhead over the bare h1 loop, in instructions per request
# (issue 24's goal: ccload ≤ 1.05× bench/loop). valgrind --tool=callgrind counts the
# instructions a process executes, the same whatever else the machine runs, so this figure
# survives a busy machine where CPU seconds do not.
#
# Both send the 366-byte CHAT of bench/chat.json with the same four headers to bench/target
# over 64 connections, a fixed amount of work each: ccload 64 sessions (open model, all
# arriving over the first 2 s) of CONNECT, N CHATs and DISCONNECT; bench/loop 64 workers of
# N+2 requests (--requests). Each runs twice, N=LO and N=HI; the difference of the two totals
# over the difference of the requests is the cost of one request, without the start-up and
# the end of the run (ccload's report, loop's histograms), which are paid once. Callgrind
# counts user-space instructions only: the kernel's share (the same syscalls for both) is not
# in it, so this ratio is larger than the ratio of CPU seconds in `make bench`.
#
#   bench/callgrind.sh               # LO=50 HI=150: about 2 minutes of one core
#                                    # (also prints ccload's Ir per request by package)
#   BENCH_CG_LO=100 BENCH_CG_HI=300 bench/callgrind.sh
#   GOGC=off bench/callgrind.sh      # without garbage collection: the cycles follow the clock, and
#                                    # valgrind stretches the runs unequally (docs/perf.md, 6.)
#
# GOMAXPROCS=1: with more Ps the runtime's idle threads spin while valgrind runs one thread at
# a time, and those spins would be counted as work. GODEBUG: valgrind 3.19 aborts on Go's
# preemption signal and does not decode RDTSCP.
set -euo pipefail
cd "$(dirname "$0")/.."
LO=${BENCH_CG_LO:-50}
HI=${BENCH_CG_HI:-150}
PORT=${BENCH_CG_PORT:-18095}
WORK=$(mktemp -d /tmp/ccload-callgrind.XXXXXX)
command -v valgrind >/dev/null || { echo "bench/callgrind.sh: valgrind is not installed; apt-get install valgrind" >&2; exit 2; }
go build -o "$WORK/ccload" .
go build -o "$WORK/target" ./bench/target
go build -o "$WORK/loop" ./bench/loop
"$WORK/target" --addr "127.0.0.1:$PORT" >/dev/null 2>&1 &
tpid=$!
trap 'kill $tpid 2>/dev/null || true' EXIT
sleep 0.5
URL=http://127.0.0.1:$PORT
H=(--header "Content-Type: application/json;charset=UTF-8" --header "x-app-key: bench-app"
	--header "Authorization: Bearer bench-access-token" --header "ccmessaging-token: bench-cc-token")
export GOMAXPROCS=1 GODEBUG=asyncpreemptoff=1,cpu.rdtscp=off

# ir LOG CG: the instructions callgrind collected (from its log) less those of the functions
# that run once at the end whatever the request count, but whose cost depends on the latency
# spread (HdrHistogram iteration and merging, the report's histogram encoding and compression):
# left in, they move the difference between the two runs by up to 2,800 instructions a request.
END_RE='hdrhistogram-go\.\(\*iterator\)|hdrhistogram-go\.\(\*Histogram\)\.(Merge|nextNonEquivalentValue)|histEncoder|compress/flate'
ir() {
	local all end
	all=$(grep -ao 'Collected : [0-9]*' "$1" | grep -o '[0-9]*$')
	end=$(callgrind_annotate --threshold=100 --auto=no "$2" 2>/dev/null | grep -E "$END_RE" | awk '{gsub(",", "", $1); s += $1} END {print s + 0}')
	echo $((all - end))
}

# GC_RE: the runtime's garbage collection (marking, write barriers) and the stack regrowth that
# follows its stack shrinking (copystack and the frame walks it makes). Their share of the
# difference moves with how many GC cycles fall in the longer run: ccload's cycles come with
# the 1 s time-series intervals (each encodes histograms, and allocates), and valgrind stretches
# the longer run over more seconds. bypkg reports it apart, so a change is read without it.
GC_RE='^runtime\.(gc|scan|mark|grey|findObject|tryDeferToSpanScan|wbBuf|bulkBarrier|typePointers|heapBits|spanOf|copystack|newstack|shrinkstack|pcvalue|step$|adjust|getStackMap|findfunc|\(\*stkframe\)|\(\*unwinder\)|\(\*moduledata\)\.textAddr|\(\*gcWork\)|\(\*mspan\)\.(mark|heapBits|typePointers))'

# bypkg CG: each function's own instructions (not its callees'), summed by package: ccload's
# packages by name, the HdrHistogram module, the Go runtime, and the rest (standard library,
# system-call wrappers). The end-of-run functions are left out as in ir.
bypkg() {
	callgrind_annotate --threshold=100 --auto=no "$1" 2>/dev/null | grep -Ev "$END_RE" |
		GC_RE="$GC_RE" awk 'BEGIN { GCRE = ENVIRON["GC_RE"] } /^ *[0-9,]+ .*:/ && !/PROGRAM TOTALS/ {
			v = $1; gsub(",", "", v); n = $0; sub(/ \[.*$/, "", n); sub(/^ *[0-9,]+ +(\( *[0-9.]+%\) +)?/, "", n); sub(/^[^:]*:/, "", n)
			if (n ~ /^ccload\//) { sub(/\..*$/, "", n); sub(/^ccload\//, "", n) }
			else if (n ~ /hdrhistogram/) n = "HdrHistogram"
			else if (n ~ GCRE) n = "Go runtime: GC and stack regrowth"
			else if (n ~ /^(runtime|internal\/runtime)[.\/]/) n = "Go runtime"
			else n = "standard library and other"
			s[n] += v
		} END { for (k in s) print k "\t" s[k] }'
}

declare -A IR REQ
for n in "$LO" "$HI"; do
	sed -e '/^load:/,/^sessions:/c\
load: {model: open, arrivals: uniform, rate: 32, duration: 2s}\
sessions:' -e "s/count: 1000000/count: $n/" bench/chat.yaml >"$WORK/fixed-$n.yaml"
	# Under valgrind the producer can fall behind the 2 s of arrivals when the machine is busy,
	# and drops the ones it did not reach (dropped_by: late): such a run did less work than
	# asked and is run again (at most three tries).
	for try in 1 2 3; do
		rm -rf "$WORK/report-$n"
		valgrind --tool=callgrind --callgrind-out-file="$WORK/ccload-$n.cg" "$WORK/ccload" run "$WORK/fixed-$n.yaml" \
			--target "$URL" --grace 10m --no-progress --out "$WORK/report-$n" >/dev/null 2>"$WORK/ccload-$n.log" || true
		REQ[ccload-$n]=$(grep -o '"total": *[0-9]*' "$WORK/report-$n/report.json" 2>/dev/null | head -1 | grep -o '[0-9]*$' || true)
		[ "${REQ[ccload-$n]}" = $((64 * (n + 2))) ] && break
		echo "bench/callgrind.sh: ccload sent ${REQ[ccload-$n]:-no} requests, want $((64 * (n + 2))) (try $try; see $WORK/report-$n)" >&2
	done
	if [ "${REQ[ccload-$n]}" != $((64 * (n + 2))) ]; then
		exit 1
	fi
	IR[ccload-$n]=$(ir "$WORK/ccload-$n.log" "$WORK/ccload-$n.cg")
	valgrind --tool=callgrind --callgrind-out-file="$WORK/loop-$n.cg" "$WORK/loop" --url "$URL/apiaccess/ccmessaging/sendAsync" \
		--client h1 --conns 64 --requests $((n + 2)) --duration 10m --body bench/chat.json "${H[@]}" >"$WORK/loop-$n.json" 2>"$WORK/loop-$n.log"
	IR[loop-$n]=$(ir "$WORK/loop-$n.log" "$WORK/loop-$n.cg")
	REQ[loop-$n]=$(grep -o '"requests":[0-9]*' "$WORK/loop-$n.json" | grep -o '[0-9]*$')
done
for t in ccload loop; do
	echo "$t: N=$LO ${REQ[$t-$LO]} requests ${IR[$t-$LO]} Ir; N=$HI ${REQ[$t-$HI]} requests ${IR[$t-$HI]} Ir;" \
		"$(( (IR[$t-$HI] - IR[$t-$LO]) / (REQ[$t-$HI] - REQ[$t-$LO]) )) Ir per request"
done
# ccload's instructions per request by package (the difference of the two runs, as above):
# ccload's own packages are exact from run to run; the runtime's share moves by up to ~1,500 with
# whether a GC cycle falls in the longer run's extra requests, so read a change from its package.
bypkg "$WORK/ccload-$LO.cg" >"$WORK/pkg-$LO.tsv"
bypkg "$WORK/ccload-$HI.cg" >"$WORK/pkg-$HI.tsv"
echo "ccload by package, Ir per request:"
awk -F'\t' -v d=$((REQ[ccload-$HI] - REQ[ccload-$LO])) 'NR == FNR { lo[$1] = $2; next } { printf "  %7.0f  %s\n", ($2 - lo[$1]) / d, $1 }' \
	"$WORK/pkg-$LO.tsv" "$WORK/pkg-$HI.tsv" | sort -rn | awk '$1 != 0'
c=$(( (IR[ccload-$HI] - IR[ccload-$LO]) * 1000 / (REQ[ccload-$HI] - REQ[ccload-$LO]) ))
l=$(( (IR[loop-$HI] - IR[loop-$LO]) * 1000 / (REQ[loop-$HI] - REQ[loop-$LO]) ))
echo "ccload / bare loop: $(awk -v c="$c" -v l="$l" 'BEGIN{printf "%.3f", c/l}')× instructions per request (goal ≤ 1.05); profiles in $WORK (callgrind_annotate FILE.cg)"
# The same ratio without the GC and stack-regrowth share of either side (see GC_RE).
bypkg "$WORK/loop-$LO.cg" >"$WORK/lpkg-$LO.tsv"
bypkg "$WORK/loop-$HI.cg" >"$WORK/lpkg-$HI.tsv"
gcper() { awk -F'\t' -v d="$3" 'NR == FNR { lo[$1] = $2; next } $1 ~ /GC and stack/ { printf "%.0f", ($2 - lo[$1]) * 1000 / d; f = 1 } END { if (!f) printf "0" }' "$1" "$2"; }
cg=$(gcper "$WORK/pkg-$LO.tsv" "$WORK/pkg-$HI.tsv" $((REQ[ccload-$HI] - REQ[ccload-$LO])))
lg=$(gcper "$WORK/lpkg-$LO.tsv" "$WORK/lpkg-$HI.tsv" $((REQ[loop-$HI] - REQ[loop-$LO])))
echo "without GC and stack regrowth: ccload $(((c - cg) / 1000)) Ir per request, loop $(((l - lg) / 1000)); ratio $(awk -v c="$((c - cg))" -v l="$((l - lg))" 'BEGIN{printf "%.3f", c/l}')×"
