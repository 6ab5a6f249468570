package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"
)

// flagArg finds the name of the flag a flag-package error is about ("-duration" in
// `invalid value "5" for flag -duration: parse error`).
var flagArg = regexp.MustCompile(`^invalid value "(.*)" for flag -([^:]+): `)

// badFlag answers a bad flag the same way in every subcommand: one line naming the problem,
// with a hint where one helps, then where the flags are listed.
func badFlag(fs *flag.FlagSet, err error, w io.Writer) {
	msg := err.Error()
	if m := flagArg.FindStringSubmatch(msg); m != nil {
		value, name := m[1], m[2]
		msg = fmt.Sprintf("--%s %s: %s", name, value, strings.TrimPrefix(msg, m[0]))
		if f := fs.Lookup(name); f != nil && isDurationFlag(f) {
			if _, perr := time.ParseDuration(value); perr != nil {
				msg = fmt.Sprintf("--%s %s: a duration needs a unit, e.g. %ss or %sms (units: ns, us, ms, s, m, h)", name, value, value, value)
				if !isNumber(value) {
					msg = fmt.Sprintf("--%s %s: not a duration; write e.g. 30s, 500ms or 1m30s", name, value)
				}
			}
		}
	} else if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		msg = fmt.Sprintf("unknown flag --%s", name)
	}
	fmt.Fprintf(w, "ccload %s: %s; see 'ccload %s --help'\n", fs.Name(), msg, fs.Name())
}

// isDurationFlag reports whether f holds a time.Duration (the flag package's durationValue).
func isDurationFlag(f *flag.Flag) bool {
	g, ok := f.Value.(flag.Getter)
	if !ok {
		return false
	}
	_, ok = g.Get().(time.Duration)
	return ok
}

func isNumber(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		if (r < '0' || r > '9') && r != '.' {
			return false
		}
	}
	return true
}

// parseFlags parses fs quietly (the flag package would print its complaint and the whole
// usage) and leaves the answer to badFlag.
func parseFlags(fs *flag.FlagSet, args []string) error {
	out := fs.Output()
	fs.SetOutput(io.Discard)
	err := fs.Parse(args)
	fs.SetOutput(out)
	return err
}

var errHelp = flag.ErrHelp

func isHelp(err error) bool { return errors.Is(err, errHelp) }

// badUsage answers bad positional arguments like badFlag: one line, then where the flags are.
func badUsage(w io.Writer, cmd, msg string) int {
	fmt.Fprintf(w, "ccload %s: %s; see 'ccload %s --help'\n", cmd, msg, cmd)
	return exitUsage
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
