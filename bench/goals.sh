# bench/goals.sh: the goal scenarios of issue 6, sourced by `bench/run.sh --goals`
# (it uses run.sh's WORK, PORT, start_target, stop_target, http_get and log).
# About 5 minutes; BENCH_SOAK=1 adds the 10-minute memory-flatness run, and
# BENCH_GOALS picks a subset ("20k arrivals 100k soak").
#
#   20k      goal-20k.yaml (ccload, twice), goal-20k-small-limit.yaml once (a
#            limit too small must show as lag and dropped arrivals), then
#            vegeta at -rate=20000 with its defaults (twice), against a 20 ms target.
#   arrivals goal-arrivals.yaml: 2,000 arrivals/s for 60 s against a 0 ms target.
#   100k     goal-100k.yaml against `ccload mock` in its own process.
#   overload goal-overload.yaml: 1,000,000 arrivals/s for 10 s against a 3 s target.
#   soak     (BENCH_SOAK=1) 10 minutes at 1,000 arrivals/s; RSS at minute 2 and 10.

GOAL_RUNS=${BENCH_GOAL_RUNS:-2}

# goal_run NAME N CMD...: run CMD (a generator) once under GNU time, with the
# target's stats around it, in $WORK/goals/NAME.N/ (CMD writes its output there).
goal_run() {
	local name=$1 n=$2
	shift 2
	local dir=$WORK/goals/$name.$n
	mkdir -p "$dir"
	http_get /reset >"$dir/stats0" 2>/dev/null || true
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" timeout -s INT 300 "$@" >"$dir/stdout" 2>"$dir/stderr" || true
	sleep 0.5
	http_get /stats >"$dir/stats1" 2>/dev/null || true
}

goal_20k() {
	# ccload first: vegeta's connection storms leave thousands of sockets
	# closing on both sides, which would disturb whatever runs next.
	start_target - 20ms
	for n in $(seq "$GOAL_RUNS"); do
		log "goal 20k: ccload run $n/$GOAL_RUNS (20 s at 20,000 requests/s, 512 connections)"
		local d=$WORK/goals/20k-ccload.$n
		goal_run 20k-ccload "$n" "$WORK/ccload" run bench/goal-20k.yaml --target "http://127.0.0.1:$PORT" \
			--grace 5s --no-progress --out "$d/report"
		cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	done
	log "goal 20k: ccload with a connection limit too small (200)"
	local d=$WORK/goals/20k-ccload-small-limit.1
	goal_run 20k-ccload-small-limit 1 "$WORK/ccload" run bench/goal-20k-small-limit.yaml \
		--target "http://127.0.0.1:$PORT" --grace 5s --no-progress --out "$d/report"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	if [ -x "$WORK/vegeta" ]; then
		for n in $(seq "$GOAL_RUNS"); do
			start_target - 20ms # a fresh target for each: the last run may have left thousands of connections
			log "goal 20k: vegeta run $n/$GOAL_RUNS (-rate=20000, its default workers and connections)"
			d=$WORK/goals/20k-vegeta.$n
			goal_run 20k-vegeta "$n" "$WORK/vegeta" attack -targets="$WORK/vegeta.targets" -rate=20000 \
				-duration=20s -timeout=10s -output="$d/results.bin"
			"$WORK/vegeta" report -type=json "$d/results.bin" >"$d/out" 2>/dev/null || true
			rm -f "$d/results.bin"
		done
	fi
	stop_target
}

goal_arrivals() {
	start_target - 0
	log "goal arrivals: 2,000 sessions/s for 60 s"
	local d=$WORK/goals/arrivals-ccload.1
	goal_run arrivals-ccload 1 "$WORK/ccload" run bench/goal-arrivals.yaml --target "http://127.0.0.1:$PORT" \
		--grace 5s --no-progress --out "$d/report"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	stop_target
}

goal_100k() {
	local mport=$((PORT + 1))
	log "goal 100k: ccload mock on :$mport, 100,000 customers polling every 5 s"
	"$WORK/ccload" mock --addr "127.0.0.1:$mport" >"$WORK/mock.log" 2>&1 &
	local mock=$!
	for _ in $(seq 50); do
		(exec 8<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
		sleep 0.1
	done
	local d=$WORK/goals/100k-ccload.1
	mkdir -p "$d"
	/usr/bin/time -f '%e %U %S %M' -o "$d/time" timeout -s INT 300 "$WORK/ccload" run bench/goal-100k.yaml \
		--target "http://127.0.0.1:$mport" --grace 2s --no-progress --out "$d/report" >"$d/stdout" 2>"$d/stderr" || true
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	kill "$mock" 2>/dev/null || true
	wait "$mock" 2>/dev/null || true
}

# rss_kb PID: the resident set of a process now, in KiB.
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status" 2>/dev/null; }

goal_soak() {
	start_target - 0
	log "goal soak: 10 minutes at 1,000 arrivals/s; RSS sampled at minute 2 and minute 10"
	local d=$WORK/goals/soak-ccload.1
	mkdir -p "$d"
	sed -e 's/^name: goal-arrivals$/name: goal-soak/' -e 's/rate: 2000/rate: 1000/' -e 's/duration: 60s/duration: 10m/' \
		bench/goal-arrivals.yaml >"$WORK/goal-soak.yaml"
	"$WORK/ccload" run "$WORK/goal-soak.yaml" --target "http://127.0.0.1:$PORT" --grace 5s --no-progress \
		--out "$d/report" >"$d/stdout" 2>"$d/stderr" &
	local pid=$!
	sleep 120
	local at2
	at2=$(rss_kb "$pid")
	sleep 475 # just before the end of minute 10
	local at10
	at10=$(rss_kb "$pid")
	wait "$pid" || true
	echo "${at2:-0} ${at10:-0}" >"$d/rss"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	stop_target
}

goal_overload() {
	start_target - 3s
	log "goal overload: 1,000,000 arrivals/s for 10 s, every response held 3 s, no max_customers"
	local d=$WORK/goals/overload-ccload.1
	goal_run overload-ccload 1 "$WORK/ccload" run bench/goal-overload.yaml --target "http://127.0.0.1:$PORT" \
		--grace 5s --no-progress --out "$d/report"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	stop_target
}

goals() {
	if [ ! -x "$WORK/ccload" ]; then
		echo "bench: --goals needs ccload to build" >&2
		exit 3
	fi
	local which=${BENCH_GOALS:-20k arrivals 100k overload}
	if [ "${BENCH_SOAK:-0}" = 1 ]; then which="$which soak"; fi
	for g in $which; do
		case $g in
		20k) goal_20k ;;
		arrivals) goal_arrivals ;;
		100k) goal_100k ;;
		overload) goal_overload ;;
		soak) goal_soak ;;
		*) echo "bench: unknown goal $g (BENCH_GOALS: 20k arrivals 100k overload soak)" >&2 && exit 2 ;;
		esac
	done

	local cpu
	cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
	{
		echo "### Goals $(date -u '+%Y-%m-%d %H:%M UTC') — $cpu, $(nproc) cores, Go $(go env GOVERSION)"
		echo
		echo '```'
		"$WORK/tabulate" --goals "$WORK/goals"
		for note in "${NOTES[@]}"; do echo "note: $note"; done
		echo '```'
		echo
	} >"$WORK/goals.md"
	cat "$WORK/goals.md"
	cat "$WORK/goals.md" >>bench/RESULTS.md
	log "appended to bench/RESULTS.md"
}

goals
