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

// flagLine is a flag as `flag.PrintDefaults` lists it.
var flagLine = regexp.MustCompile(`(?m)^  -([a-z][a-z0-9-]*)`)

// commandFlags asks each subcommand's own --help for its flags, so completions never drift
// from the flags a command really has.
func commandFlags(ctx context.Context) map[string][]string {
	out := map[string][]string{}
	for _, c := range commands {
		if c.name == "completion" || c.name == "version" {
			continue
		}
		var b bytes.Buffer
		c.run(ctx, []string{"--help"}, &b, io.Discard)
		var fl []string
		for _, m := range flagLine.FindAllStringSubmatch(b.String(), -1) {
			if len(m[1]) == 1 {
				fl = append(fl, "-"+m[1])
			} else {
				fl = append(fl, "--"+m[1])
			}
		}
		sort.Strings(fl)
		out[c.name] = fl
	}
	return out
}

func cmdCompletion(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) != 1 {
		return badUsage(stderr, "completion", "want one shell: bash, zsh or fish")
	}
	if args[0] == "-h" || args[0] == "--help" {
		w, code := stdout, exitOK
		fmt.Fprintln(w, "Usage: ccload completion bash|zsh|fish\n\nPrints a shell completion script for ccload's commands and flags, e.g.\n  source <(ccload completion bash)\n  ccload completion fish > ~/.config/fish/completions/ccload.fish\n\nExit codes: 0 printed; 2 bad usage.\n\nFlags:\n  (none besides -h, --help)")
		return code
	}
	var names []string
	for _, c := range commands {
		names = append(names, c.name)
	}
	flags := commandFlags(ctx)
	switch args[0] {
	case "bash":
		fmt.Fprintf(stdout, "# bash completion for ccload (ccload completion bash)\n_ccload() {\n  local cur=\"${COMP_WORDS[COMP_CWORD]}\"\n  if [ \"$COMP_CWORD\" -eq 1 ]; then\n    COMPREPLY=($(compgen -W %q -- \"$cur\")); return\n  fi\n  local flags=\"\"\n  case \"${COMP_WORDS[1]}\" in\n", strings.Join(names, " "))
		for _, n := range names {
			if f := flags[n]; len(f) > 0 {
				fmt.Fprintf(stdout, "    %s) flags=%q ;;\n", n, strings.Join(f, " "))
			}
		}
		fmt.Fprint(stdout, "  esac\n  if [[ \"$cur\" == -* ]]; then COMPREPLY=($(compgen -W \"$flags\" -- \"$cur\")); else COMPREPLY=($(compgen -f -- \"$cur\")); fi\n}\ncomplete -o filenames -F _ccload ccload\n")
	case "zsh":
		fmt.Fprintf(stdout, "#compdef ccload\n# zsh completion for ccload (ccload completion zsh)\n_ccload() {\n  if (( CURRENT == 2 )); then\n    compadd -- %s\n    return\n  fi\n  case $words[2] in\n", strings.Join(names, " "))
		for _, n := range names {
			if f := flags[n]; len(f) > 0 {
				fmt.Fprintf(stdout, "    %s) compadd -- %s; _files ;;\n", n, strings.Join(f, " "))
			}
		}
		fmt.Fprint(stdout, "    *) _files ;;\n  esac\n}\ncompdef _ccload ccload\n")
	case "fish":
		fmt.Fprintln(stdout, "# fish completion for ccload (ccload completion fish)")
		for _, c := range commands {
			fmt.Fprintf(stdout, "complete -c ccload -n __fish_use_subcommand -a %s -d %q\n", c.name, c.summary)
		}
		for _, n := range names {
			for _, f := range flags[n] {
				opt := "-l " + strings.TrimPrefix(f, "--")
				if !strings.HasPrefix(f, "--") {
					opt = "-s " + strings.TrimPrefix(f, "-")
				}
				fmt.Fprintf(stdout, "complete -c ccload -n '__fish_seen_subcommand_from %s' %s\n", n, opt)
			}
		}
	default:
		fmt.Fprintf(stderr, "ccload completion: unknown shell %q: want bash, zsh or fish; see 'ccload completion --help'\n", args[0])
		return exitUsage
	}
	return exitOK
}
