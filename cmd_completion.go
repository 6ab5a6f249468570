package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"regexp"
	"sort"
	"strings"
)

// completion is registered in init: its script lists the command table, which cannot refer to it.
func init() {
	commands = append(commands, struct {
		name string
		command
	}{"completion", command{"print a bash, zsh or fish completion script", cmdCompletion}})
}

// flagLine matches a flag in a subcommand's --help (flag.PrintDefaults: "  -name value").
var flagLine = regexp.MustCompile(`(?m)^\s+-{1,2}([a-zA-Z][\w-]*)`)

// subcommandFlags returns each subcommand's flags, read from its own --help, so the
// completions can never drift from the flags the commands accept.
func subcommandFlags(ctx context.Context) map[string][]string {
	out := map[string][]string{}
	for _, c := range commands {
		if c.name == "completion" {
			continue
		}
		var help, discard bytes.Buffer
		c.run(ctx, []string{"--help"}, &help, &discard)
		seen := map[string]bool{}
		for _, m := range flagLine.FindAllStringSubmatch(help.String(), -1) {
			if !seen[m[1]] {
				seen[m[1]] = true
				dash := "--"
				if len(m[1]) == 1 {
					dash = "-" // -o: a one-letter flag is written with one dash
				}
				out[c.name] = append(out[c.name], dash+m[1])
			}
		}
		sort.Strings(out[c.name])
	}
	return out
}

// cmdCompletion is `ccload completion bash|zsh|fish`: a shell completion script on stdout.
func cmdCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprintln(stdout, "Usage: ccload completion bash|zsh|fish\n\nPrints a completion script. Load it with, e.g.:\n  bash: source <(ccload completion bash)\n  zsh:  source <(ccload completion zsh)\n  fish: ccload completion fish | source")
		return exitOK
	}
	if len(args) != 1 {
		return badUsage(stderr, "completion", "want one shell: bash, zsh or fish")
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	flags := subcommandFlags(ctx)
	var b strings.Builder
	switch args[0] {
	case "bash", "zsh":
		if args[0] == "zsh" {
			b.WriteString("#compdef ccload\nautoload -U +X bashcompinit && bashcompinit\n")
		}
		b.WriteString("_ccload() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  if [ \"$COMP_CWORD\" -eq 1 ]; then\n")
		fmt.Fprintf(&b, "    COMPREPLY=($(compgen -W %q -- \"$cur\")); return\n  fi\n  case \"${COMP_WORDS[1]}\" in\n", strings.Join(names, " "))
		for _, n := range names {
			words := strings.Join(flags[n], " ")
			if n == "completion" {
				words = "bash zsh fish"
			}
			fmt.Fprintf(&b, "    %s) if [[ \"$cur\" == -* || %q == \"bash zsh fish\" ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi ;;\n", n, words, words)
		}
		b.WriteString("  esac\n}\ncomplete -o filenames -F _ccload ccload\n")
	case "fish":
		cond := "__fish_use_subcommand"
		for _, c := range commands {
			fmt.Fprintf(&b, "complete -c ccload -n %s -a %s -d %q\n", cond, c.name, c.summary)
		}
		for _, n := range names {
			for _, f := range flags[n] {
				opt := "-l " + strings.TrimPrefix(f, "--")
				if !strings.HasPrefix(f, "--") {
					opt = "-s " + strings.TrimPrefix(f, "-")
				}
				fmt.Fprintf(&b, "complete -c ccload -n '__fish_seen_subcommand_from %s' %s\n", n, opt)
			}
		}
		b.WriteString("complete -c ccload -n '__fish_seen_subcommand_from completion' -a 'bash zsh fish'\n")
	default:
		return badUsage(stderr, "completion", fmt.Sprintf("unknown shell %q: want bash, zsh or fish", args[0]))
	}
	io.WriteString(stdout, b.String())
	return exitOK
}
