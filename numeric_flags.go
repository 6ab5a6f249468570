package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// flagLimit is the range a numeric flag's value must lie in, and what the flag means, for the
// message that refuses it.
type flagLimit struct {
	min, max float64
	hint     string // e.g. "(2: twice as fast)"
}

// maxFlagDuration is the longest any duration flag of a load command may be: past it a value
// is a typo (a unit missing or doubled), not a plan.
const maxFlagDuration = 30 * 24 * time.Hour

// flagLimits are the ranges of the numeric flags, by "command/flag", beyond the rules every
// numeric flag of a load command obeys (finite, not negative, durations at most 30 days; a
// seed may be any integer).
var flagLimits = map[string]flagLimit{
	"replay/speed": {0.001, 1e6, "the factor every gap is divided by (2: twice as fast, 0.5: half as fast)"},
	// --scale multiplies the live customers: past 1000 copies one process cannot hold them;
	// shard the replay (--shard I/N) over machines instead.
	"replay/scale":          {1, 1000, "copies of each session; for more load, shard the replay with --shard I/N"},
	"run/max-rps":           {0, 1e7, "requests per second (0: no ceiling)"},
	"replay/max-rps":        {0, 1e7, "requests per second (0: no ceiling)"},
	"capacity/max-rps":      {0, 1e7, "requests per second (0: no ceiling)"},
	"capacity/start":        {0, 1e7, "sessions per second, or customers with --customers (0: the scenario's own peak load)"},
	"capacity/max-rate":     {0, 1e7, "sessions per second, or customers with --customers (0: the default ceiling)"},
	"capacity/min-requests": {1, 1e9, "requests per measured window"},
	"mock/agents":           {0, 1e6, "human agents"},
	"mock/error-rate":       {0, 1, "a share between 0 and 1 (0.05: 5%) of send calls answered with an injected error"},
	"mock/drop-rate":        {0, 1, "a share between 0 and 1 (0.05: 5%) of requests whose connection is closed unanswered"},
	"mock/malformed-rate":   {0, 1, "a share between 0 and 1 (0.05: 5%) of requests answered with a body that is not JSON"},
	"mock/capacity":         {0, 1e9, "requests per second (0: unlimited)"},
}

// positiveDurations are the duration flags, by "command/flag", for which 0 makes no sense (a
// window that measures nothing, a grace that cuts every step's sessions at once, a token that
// is expired when issued): 0 is refused naming the flag, with what the flag means.
var positiveDurations = map[string]string{
	"capacity/warmup":        "the discarded start of every step",
	"capacity/window":        "the measured window of a step near the knee",
	"capacity/short-window":  "the measured window of a step far from the knee",
	"capacity/budget":        "the time bound of the whole search",
	"capacity/max-lag":       "the scheduler lag p99 above which the generator is the limit",
	"mock/token-lifetime":    "the longest AccessToken lifetime granted",
	"mock/cc-token-lifetime": "the ccmessaging-token lifetime",
}

// checkedCommands are the commands whose numeric flags checkNumericFlags polices.
var checkedCommands = map[string]bool{"run": true, "replay": true, "capacity": true, "mock": true}

// checkNumericFlags refuses, naming each flag, a numeric flag value that makes no sense: a
// float that is NaN or infinite, a negative count or duration, a duration over 30 days, or a
// value outside the command's flagLimits. Commands call it right after parsing, so nothing is
// sent with such a value (exit 2).
func checkNumericFlags(fs *flag.FlagSet) error {
	if !checkedCommands[fs.Name()] {
		return nil
	}
	var errs []error
	fs.VisitAll(func(f *flag.Flag) {
		g, ok := f.Value.(flag.Getter)
		if !ok {
			return
		}
		var v float64
		lim, hasLim := flagLimits[fs.Name()+"/"+f.Name]
		switch x := g.Get().(type) {
		case float64:
			if math.IsNaN(x) || math.IsInf(x, 0) {
				errs = append(errs, fmt.Errorf("--%s %s: not a finite number; %s", f.Name, f.Value, want(lim, hasLim, "a finite number")))
				return
			}
			v = x
		case int:
			v = float64(x)
		case int64:
			v = float64(x)
		case uint:
			v = float64(x)
		case uint64:
			v = float64(x)
		case time.Duration:
			if x < 0 {
				errs = append(errs, fmt.Errorf("--%s %s: a duration cannot be negative; write e.g. 30s (0 where the flag says what 0 means)", f.Name, f.Value))
			} else if hint, ok := positiveDurations[fs.Name()+"/"+f.Name]; ok && x == 0 {
				errs = append(errs, fmt.Errorf("--%s %s: want a positive duration, e.g. %s: %s", f.Name, f.Value, f.DefValue, hint))
			} else if x > maxFlagDuration {
				errs = append(errs, fmt.Errorf("--%s %s: over %s; a unit may be wrong (write e.g. 30s, 5m or 2h)", f.Name, f.Value, maxFlagDuration))
			}
			return
		default:
			return
		}
		switch {
		case hasLim && (v < lim.min || v > lim.max):
			errs = append(errs, fmt.Errorf("--%s %s: out of range; %s", f.Name, f.Value, want(lim, true, "")))
		case !hasLim && v < 0 && f.Name != "seed":
			errs = append(errs, fmt.Errorf("--%s %s: cannot be negative", f.Name, f.Value))
		}
	})
	return errors.Join(errs...)
}

// want says what a flag accepts: its range and meaning, or def without a limit.
func want(lim flagLimit, has bool, def string) string {
	if !has {
		return "want " + def
	}
	num := func(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
	return "want " + num(lim.min) + " to " + num(lim.max) + ", " + lim.hint
}

// printFlagErrors prints what checkNumericFlags found, one line per flag, each as the command's.
func printFlagErrors(w io.Writer, cmd string, err error) {
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintf(w, "ccload %s: %s\n", cmd, line)
	}
}
