// Command genlog writes a synthetic traffic log (the shape `ccload mock --record` writes) of
// about -mb megabytes to standard output, for measuring `ccload fit` on large logs
// (bench/fit-large.sh). Sessions: CONNECT, 1-4 CHATs, sometimes INPUT and READ, DISCONNECT,
// lognormal gaps, a day-like arrival ramp; a fixed seed makes the log reproducible.
package main

import (
	"bufio"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sort"
)

func main() {
	mb := flag.Int("mb", 1024, "approximate size in megabytes")
	flag.Parse()
	w := bufio.NewWriterSize(os.Stdout, 1<<20)
	defer w.Flush()
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
