package render

import (
	"fmt"
	"strings"

	"ccload/internal/errw"
	"ccload/report"
)

// writeReplay is the console summary's replay line: what the replay took from its log.
func writeReplay(w *errw.Writer, r *report.Report) {
	x := r.Replay
	if x == nil {
		return
	}
	w.Printf("replay    %s: %s lines (%s bad), %s sessions: %s selected, %s without CONNECT, %s outside the window, %s not reached; %s arrivals",
		x.Log, num(x.Lines), num(x.Bad), num(x.Sessions), num(x.Selected), num(x.SkippedNoConnect), num(x.OutsideWindow), num(x.NotReached), num(x.Arrivals))
	if !x.Complete {
		w.Printf("; INCOMPLETE")
	}
	w.Printf("\n")
	if len(x.Problems) > 0 {
		w.Printf("          problems: %s\n", strings.Join(ReplayProblemTexts(x), "; "))
	}
	if x.Error != "" {
		w.Printf("          %s\n", x.Error)
	}
}

// ReplayProblemTexts are the replay's problems, one "kind ×N (line a, b)" each in
// ReplayProblemKeys order, for the console.
func ReplayProblemTexts(x *report.Replay) []string {
	var out []string
	for _, k := range report.ReplayProblemKeys(x) {
		p := x.Problems[k]
		s := fmt.Sprintf("%s ×%s", k, num(p.Count))
		if len(p.FirstLines) > 0 {
			s += " (" + report.ReplayLines(p.FirstLines) + ")"
		}
		out = append(out, s)
	}
	return out
}
