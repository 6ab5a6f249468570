# bench/goals.sh: the goal scenarios of issue 6, sourced by `bench/run.sh --goals`
# (it uses run.sh's WORK, PORT, start_target, stop_target, http_get and log).
# About 5 minutes; BENCH_SOAK=1 adds the 10-minute memory-flatness run, and
# BENCH_GOALS picks a subset ("20k arrivals 100k soak"). The default set leaves
# out "artillery" (npm install, about 3 minutes) and "1m" (about 8 minutes of
# both cores): name them in BENCH_GOALS.
#
#   20k      goal-20k.yaml (ccload, twice), goal-20k-small-limit.yaml once (a
#            limit too small must show as lag and dropped arrivals), then
#            vegeta at -rate=20000 with its defaults (twice), against a 20 ms target.
#   arrivals goal-arrivals.yaml: 2,000 arrivals/s for 60 s against a 0 ms target.
#   100k     goal-100k.yaml against `ccload mock` in its own process.
#   overload goal-overload.yaml: 1,000,000 arrivals/s for 10 s against a 3 s target.
#   soak     (BENCH_SOAK=1) 10 minutes at 1,000 arrivals/s; RSS at minute 2 and 10.
#   artillery goal-artillery.yaml with ccload, then bench/artillery.yml with
#            Artillery 2.0.x (npm-installed into the temp dir, or
#            BENCH_ARTILLERY_DIR if it holds one), the same session at the same
#            arrival rate against a 0 ms bench/target: CPU per request, peak RSS
#            and memory per concurrent virtual user of each
#            (BENCH_ARTILLERY_RATE: arrivals/s, default 200).
#   1m       goal-1m.yaml against `ccload mock` in its own process: 1,000,000
#            customers polling every 30 s (BENCH_1M_CUSTOMERS scales the count;
#            BENCH_1M_RAMP and BENCH_1M_HOLD the stages, default 300 s and 150 s).

GOAL_RUNS=${BENCH_GOAL_RUNS:-2}

# goal_run NAME N CMD...: run CMD (a generator) once under GNU time, with the
# target's stats and `uptime` around it, in $WORK/goals/NAME.N/ (CMD writes its output there).
goal_run() {
	local name=$1 n=$2
	shift 2
	local dir=$WORK/goals/$name.$n
	mkdir -p "$dir"
	http_get /reset >"$dir/stats0" 2>/dev/null || true
	uptime >"$dir/load"
	/usr/bin/time -f '%e %U %S %M' -o "$dir/time" timeout -s INT 300 "$@" >"$dir/stdout" 2>"$dir/stderr" || true
	uptime >>"$dir/load"
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

# tree_rss_peak PID OUT: until PID exits, sample every 0.5 s the summed RSS
# (KiB) of PID's descendants other than the shell, GNU time and timeout, and
# write the highest sum to OUT. GNU time's %M is the largest single process
# only, and a Node tool may fork workers.
tree_rss_peak() {
	local root=$1 out=$2 peak=0 sum
	while kill -0 "$root" 2>/dev/null; do
		sum=$(ps -e -o pid=,ppid=,rss=,comm= | awk -v root="$root" '
			{ parent[$1] = $2; rss[$1] = $3; comm[$1] = $4 }
			END {
				for (p in parent) {
					if (comm[p] == "bash" || comm[p] == "time" || comm[p] == "timeout") continue
					q = p
					while (q != "" && q != 0 && q != root) q = parent[q]
					if (q == root) s += rss[p]
				}
				print s + 0
			}')
		[ "$sum" -gt "$peak" ] && peak=$sum
		sleep 0.5
	done
	echo "$peak" >"$out"
}

goal_artillery() {
	local adir=${BENCH_ARTILLERY_DIR:-}
	if [ -z "$adir" ] || [ ! -x "$adir/node_modules/.bin/artillery" ]; then
		adir=$WORK/artillery
		mkdir -p "$adir"
		log "goal artillery: npm install artillery@2.0 into $adir (not the repo; browser download skipped)"
		if ! command -v npm >/dev/null || ! (cd "$adir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 timeout 600 \
			npm install --no-audit --no-fund --ignore-scripts --loglevel=error artillery@2.0 >"$WORK/artillery-install.log" 2>&1); then
			NOTES+=("artillery skipped: npm could not install artillery@2.0 ($(tail -1 "$WORK/artillery-install.log" 2>/dev/null || echo 'no npm'))")
			adir=
		fi
	fi
	# BENCH_ARTILLERY_RATE changes the arrival rate (default 200/s) in both files alike.
	local rate=${BENCH_ARTILLERY_RATE:-200}
	sed -e "s/^  rate: 200\$/  rate: $rate/" bench/goal-artillery.yaml >"$WORK/goal-artillery.yaml"
	sed -e "s/arrivalRate: 200\$/arrivalRate: $rate/" bench/artillery.yml >"$WORK/artillery.yml"
	start_target - 0
	log "goal artillery: ccload, $rate sessions/s for 40 s (connect, 3 × (think 5 s, chat), disconnect)"
	local d=$WORK/goals/artillery-ccload.1
	mkdir -p "$d"
	goal_run artillery-ccload 1 "$WORK/ccload" run "$WORK/goal-artillery.yaml" --target "http://127.0.0.1:$PORT" \
		--grace 30s --no-progress --out "$d/report"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	if [ -n "$adir" ]; then
		local version
		version=$(sed -n 's/^ *"version": *"\([^"]*\)".*/\1/p' "$adir/node_modules/artillery/package.json" | head -1)
		stop_target
		start_target - 0
		log "goal artillery: Artillery $version, the same session (bench/artillery.yml) at $rate/s"
		d=$WORK/goals/artillery-artillery.1
		mkdir -p "$d"
		echo "$version" >"$d/version"
		goal_run artillery-artillery 1 env ARTILLERY_DISABLE_TELEMETRY=true "$adir/node_modules/.bin/artillery" run \
			--target "http://127.0.0.1:$PORT" --output "$d/artillery.json" "$WORK/artillery.yml" &
		local runner=$!
		tree_rss_peak "$runner" "$d/tree_rss" &
		local sampler=$!
		wait "$runner" || true
		wait "$sampler" || true
		cp "$d/artillery.json" "$d/out" 2>/dev/null || true
	fi
	stop_target
}

goal_1m() {
	local n=${BENCH_1M_CUSTOMERS:-1000000} ramp=${BENCH_1M_RAMP:-300} hold=${BENCH_1M_HOLD:-150}
	local mport=$((PORT + 2))
	local d=$WORK/goals/1m-ccload.1
	mkdir -p "$d"
	sed -e "s/1000000/$n/g" -e "s/duration: 300s/duration: ${ramp}s/" -e "s/duration: 150s/duration: ${hold}s/" \
		bench/goal-1m.yaml >"$WORK/goal-1m.yaml"
	# The measured window: the last 90 s of the hold (all of it when shorter).
	local from=$((ramp + hold - 90))
	[ "$from" -lt "$ramp" ] && from=$ramp
	echo "$from $((ramp + hold)) $n 30" >"$d/window"
	log "goal 1m: ccload mock on :$mport, $n customers polling every 30 s (ramp ${ramp}s, hold ${hold}s, measured from ${from}s)"
	/usr/bin/time -f '%e %U %S %M' -o "$d/mock.time" timeout -s INT $((ramp + hold + 300)) \
		"$WORK/ccload" mock --addr "127.0.0.1:$mport" --session-timeout 0 >"$d/mock.log" 2>&1 &
	local mock=$!
	for _ in $(seq 50); do
		(exec 8<>"/dev/tcp/127.0.0.1/$mport") 2>/dev/null && break
		sleep 0.1
	done
	uptime >"$d/load"
	/usr/bin/time -f '%e %U %S %M' -o "$d/time" timeout -s INT $((ramp + hold + 120)) "$WORK/ccload" run "$WORK/goal-1m.yaml" \
		--target "http://127.0.0.1:$mport" --grace 2s --no-progress --out "$d/report" >"$d/stdout" 2>"$d/stderr" || true
	uptime >>"$d/load"
	cp "$d/report/report.json" "$d/out" 2>/dev/null || true
	# Stop the mock through its timeout (which passes SIGINT on), so GNU time writes its figures.
	kill -INT "$(pgrep -P "$mock")" 2>/dev/null || true
	wait "$mock" 2>/dev/null || true
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
		artillery) goal_artillery ;;
		1m) goal_1m ;;
		*) echo "bench: unknown goal $g (BENCH_GOALS: 20k arrivals 100k overload soak artillery 1m)" >&2 && exit 2 ;;
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
