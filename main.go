// Command ccload is a load-testing and session-simulation harness for the
// ccmessaging open API. Each subcommand lives in its own cmd_*.go file: it
// checks its flags, wires the packages (scenario, runner, capacity, replay,
// traffic, history, mock), renders what the engine returns (render, report)
// and maps the outcome to an exit code. The flag helpers the commands share
// are in flags.go and the *_flags.go files; run's and replay's common path in
// execrun.go; docs/architecture.md draws the flow.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

// Exit codes, the CLI contract (README "Exit codes").
const (
	exitOK      = 0 // success
	exitFailed  = 1 // a threshold or a comparison failed
	exitUsage   = 2 // bad usage or an invalid scenario; nothing was sent
	exitAborted = 3 // the target was unreachable, the run was interrupted, or it could not measure (capacity: the generator was the limit)
)

// command is one subcommand: its one-line summary and the function that runs it.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

// commands is the subcommand table, in the order `ccload --help` lists them.
var commands = []struct {
	name string
	command
}{
	{"run", command{"run a scenario and write its report", cmdRun}},
	{"validate", command{"check scenario files and print their plans; sends nothing", cmdValidate}},
	{"mock", command{"serve the mock ccmessaging platform", cmdMock}},
	{"capacity", command{"find the highest sustainable session rate under an SLO", cmdCapacity}},
	{"merge", command{"merge shard reports into one exact report", cmdMerge}},
	{"compare", command{"compare two reports and gate on regressions", cmdCompare}},
	{"report", command{"re-render a saved report.json (HTML, JUnit, console)", cmdReport}},
	{"fit", command{"fit a scenario (session mix, think times, stages) to a traffic log", cmdFit}},
	{"logdiff", command{"compare two traffic logs (shares, think times, arrivals) with limits", cmdLogdiff}},
	{"replay", command{"replay the sessions of a traffic log, keeping order and gaps", cmdReplay}},
}

// version and completion join the table in init: completion reads the table itself.
func init() {
	commands = append(commands,
		struct {
			name string
			command
		}{"version", command{"print the version, commit, build date and Go version", cmdVersion}},
		struct {
			name string
			command
		}{"completion", command{"print a bash, zsh or fish completion script", cmdCompletion}})
}

func main() {
	// The first SIGINT/SIGTERM cancels ctx (a graceful stop); `run` watches for a second one itself.
	// SIGHUP (a closed terminal or ssh session) is a SIGTERM: the run stops and writes its report.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM, syscall.SIGHUP)
	code := dispatch(ctx, os.Args[1:], os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}

// dispatch runs the subcommand named by args[0]; tests call it in-process.
func dispatch(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return exitUsage
		}
		return exitOK
	}
	for _, c := range commands {
		if c.name == args[0] {
			return c.run(ctx, args[1:], stdout, stderr)
		}
	}
	fmt.Fprintf(stderr, "ccload: unknown command %q; see 'ccload --help' for the commands\n", args[0])
	return exitUsage
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "ccload: load tests and session simulations for the ccmessaging open API")
	fmt.Fprintln(w, "\nUsage: ccload <command> [flags] [args]\n\nCommands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-10s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'ccload <command> --help' for a command's flags.")
	fmt.Fprintln(w, "Exit codes: 0 ok, 1 threshold or comparison failed, 2 bad usage or invalid scenario, 3 unreachable or interrupted.")
}

// parseArgs parses a subcommand's flags, which may stand before or after its positional
// arguments, and checks the positionals with check (a complaint, or "" when they are fine).
// --help prints the usage to stdout. When the command must stop here, done is true and code
// is its exit code. A bad flag or argument is answered by badUsage.
func parseArgs(fs *flag.FlagSet, args []string, stdout io.Writer, check func(pos []string) string) (pos []string, code int, done bool) {
	// flag prints the usage itself on -h and on a bad flag; silence that and print it once here,
	// to stdout for --help and to stderr (after flag's one-line complaint) for a bad flag.
	usage := fs.Usage
	fs.Usage = func() {}
	errOut := fs.Output()
	fs.SetOutput(io.Discard) // the complaint is printed once, by badUsage
	defer func() { fs.Usage = usage; fs.SetOutput(errOut) }()
	for {
		if err := parseFlags(fs, args); err != nil {
			if isHelp(err) {
				fs.SetOutput(stdout)
				usage()
				return nil, exitOK, true
			}
			badFlag(fs, err, errOut)
			return nil, exitUsage, true
		}
		args = fs.Args()
		if len(args) == 0 {
			break
		}
		if args[0] == "--" {
			pos = append(pos, args[1:]...)
			break
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
	if err := checkNumericFlags(fs); err != nil { // numeric_flags.go: NaN, Inf, negative, absurd
		printFlagErrors(errOut, fs.Name(), err)
		return nil, exitUsage, true
	}
	if msg := check(pos); msg != "" {
		return nil, badUsage(errOut, fs.Name(), msg), true
	}
	return pos, exitOK, false
}
