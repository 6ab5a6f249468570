// Command genlog writes a synthetic traffic log (the shape `ccload mock --record` writes) of
// about -mb megabytes to standard output, for measuring `ccload fit` on large logs
// (bench/fit-large.sh). Sessions: CONNECT, 1-4 CHATs, sometimes INPUT and READ, DISCONNECT,
// lognormal gaps, a day-like arrival ramp; a fixed seed makes the log reproducible.
//
// With -customers N, it writes instead the log of a closed loop like bench/chat.yaml's, for
// bench/replay-vs-run.sh: N customers CONNECT, send CHATs (-text bytes each) so that together
// they offer -rps requests per second for -seconds, and DISCONNECT.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
	"strings"
)

func main() {
	mb := flag.Int("mb", 1024, "approximate size in megabytes")
	customers := flag.Int("customers", 0, "write a closed-loop log of this many customers instead (see -rps, -seconds, -text)")
	rps := flag.Float64("rps", 1000, "with -customers: the requests per second they offer together")
	seconds := flag.Float64("seconds", 10, "with -customers: how long they send")
	text := flag.Int("text", 230, "with -customers: the length of each CHAT's text")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
	if *customers > 0 {
		loopLog(w, *customers, *rps, *seconds, *text)
		return
	}
	rng := rand.New(rand.NewPCG(1, 2))
	limit := int64(*mb) << 20
	var written int64
	t0 := int64(1_796_000_000_000)
	// Sessions are generated one after another and written interleaved through a small window
	// so the log is in time order within a few seconds (as a gateway's would be).
	type ev struct {
		t    int64
		line string
	}
	var pending []ev
	flush := func(before int64) {
		sort.Slice(pending, func(i, j int) bool { return pending[i].t < pending[j].t })
		k := 0
		for _, e := range pending {
			if e.t < before {
				n, _ := w.WriteString(e.line)
				written += int64(n)
			} else {
				pending[k] = e
				k++
			}
		}
		pending = pending[:k]
	}
	start := t0
	for s := 0; written < limit; s++ {
		// arrivals: 20..80 sessions/s following a slow sine
		rate := 50 + 30*math.Sin(float64(start-t0)/3.6e6)
		start += int64(rng.ExpFloat64() / rate * 1000)
		from := fmt.Sprintf("u%dx%d", s, rng.IntN(1000))
		t := start
		add := func(ct, media, content string) {
			pending = append(pending, ev{t, fmt.Sprintf(`{"channel":"WEB","content":%q,"controlType":%q,"from":%q,"mediaType":%q,"sourceType":"CUSTOMER","to":"1011577355744904195","userAgent":"Mozilla/5.0 (X11; Linux x86_64)","received_ms":%d}`+"\n", content, ct, from, media, t)})
			t += int64(math.Exp(math.Log(800)+0.6*rng.NormFloat64())) + 1
		}
		add("CONNECT", "TEXT", "")
		for range 1 + rng.IntN(4) {
			add("CHAT", "TEXT", "how do I reset my password for the account?")
		}
		if rng.IntN(3) == 0 {
			add("INPUT", "TEXT", "typing")
			add("READ", "TEXT", "read")
		}
		add("DISCONNECT", "TEXT", "")
		if len(pending) > 4096 {
			flush(start)
		}
	}
	flush(math.MaxInt64)
}

// loopLog writes n customers sending CHATs back to back at rps requests per second in all:
// customer i connects at i·gap/n and sends every gap = n/rps seconds, in time order.
func loopLog(w *bufio.Writer, n int, rps, seconds float64, textLen int) {
	t0 := int64(1_796_000_000_000_000) // µs
	gap := int64(float64(n) / rps * 1e6)
	end := t0 + int64(seconds*1e6)
	text := strings.Repeat("x", textLen)
	line := func(ct string, i int, us int64, content string) {
		fmt.Fprintf(w, `{"channel":"WEB","content":%q,"controlType":%q,"from":"loop%d","mediaType":"TEXT","sourceType":"CUSTOMER","received_ms":%d.%03d}`+"\n",
			content, ct, i, us/1000, us%1000)
	}
	for i := range n {
		line("CONNECT", i, t0+int64(i)*gap/int64(n), "")
	}
	for k := int64(1); ; k++ {
		for i := range n {
			t := t0 + int64(i)*gap/int64(n) + k*gap
			if t >= end {
				for j := range n {
					line("DISCONNECT", j, end+int64(j), "")
				}
				return
			}
			line("CHAT", i, t, text)
		}
	}
}
