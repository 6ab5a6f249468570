package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strconv"
	"time"
)

// badUsage answers every bad flag or argument of every subcommand the same way: one line saying
// what is wrong, then where the flags are described.
func badUsage(w io.Writer, cmd, msg string) int {
	fmt.Fprintf(w, "ccload %s: %s\nsee 'ccload %s --help'\n", cmd, msg, cmd)
	return exitUsage
}

var invalidFlagValue = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): (.*)$`)

// flagMessage rewords the flag package's complaint: a duration given as a bare number says it
// needs a unit, instead of flag's "parse error".
func flagMessage(fs *flag.FlagSet, err error) string {
	m := invalidFlagValue.FindStringSubmatch(err.Error())
	if m == nil {
		return err.Error()
	}
	val, name := m[1], m[2]
	if isDuration(fs.Lookup(name)) {
		if _, numErr := strconv.ParseFloat(val, 64); numErr == nil {
			return fmt.Sprintf("--%s %s: a duration needs a unit, e.g. %ss, 500ms or 2m", name, val, val)
		}
		return fmt.Sprintf("--%s %q is not a duration; write e.g. 30s, 500ms or 2m", name, val)
	}
	return fmt.Sprintf("--%s %q: %s", name, val, m[3])
}

func isDuration(f *flag.Flag) bool {
	if f == nil {
		return false
	}
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, is := g.Get().(time.Duration)
	return is
}

// checkWritable makes dir and proves a file can be created in it, so `run` refuses an --out it
// could not write before it sends anything, not after the whole run.
func checkWritable(dir string) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	f, err := os.CreateTemp(dir, ".ccload-write-check-*")
	if err != nil {
		return err
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}
