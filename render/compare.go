package render

import (
	"bytes"
	"fmt"
	"io"
	"slices"
	"strings"
	"text/tabwriter"

	"ccload/internal/errw"
	"ccload/report"
	"ccload/report/compare"
)

// WriteCompareText writes what `ccload compare` prints by default: only the rows that differ (worse,
// better or over a limit), then the checks and the verdict.
func WriteCompareText(w io.Writer, c compare.Result) error {
	return WriteCompareTextWith(w, c, CompareTextOptions{})
}

// CompareTextOptions chooses what WriteCompareTextWith prints.
type CompareTextOptions struct {
	// All prints every row, unchanged ones and groups with too few samples included (--all).
	All bool
}

// WriteCompareTextWith writes the comparison as tables, one per group, then the checks and the verdict.
func WriteCompareTextWith(w io.Writer, c compare.Result, o CompareTextOptions) error {
	ew := errw.New(w)
	for _, warn := range c.Warnings {
		fmt.Fprintf(ew, "WARNING: %s\n", warn)
	}
	if len(c.Warnings) > 0 {
		fmt.Fprintln(ew)
	}
	side := func(s compare.Side) string {
		at := ""
		if !s.StartedAt.IsZero() {
			at = s.StartedAt.UTC().Format("2006-01-02 15:04 UTC") + ", "
		}
		return fmt.Sprintf("%s (%s%s, %s requests)", s.Label, at, report.FormatSeconds(s.DurationS), report.FormatCount(s.Requests))
	}
	name := c.New.Scenario
	if c.Base.Scenario != c.New.Scenario {
		name = c.Base.Scenario + " → " + c.New.Scenario
	}
	fmt.Fprintf(ew, "ccload compare: %s\n  base %s\n  new  %s\n", name, side(c.Base), side(c.New))
	// One tabwriter block for every group (separator lines hold tabs), so the columns line up across groups.
	var table bytes.Buffer
	tw := tabwriter.NewWriter(&table, 0, 0, 2, ' ', 0)
	group, hidden := "", 0
	var few []string
	for _, r := range c.Rows {
		if r.FewSamples && !slices.Contains(few, r.Group) {
			few = append(few, r.Group)
		}
		if !o.All && !r.Fail && !r.Worse && !r.Better {
			hidden++
			continue
		}
		if r.Group != group {
			group = r.Group
			fmt.Fprintf(tw, "\t\t\t\t\n%s\tbase\tnew\tchange\t\n", group)
		}
		mark := ""
		switch {
		case r.Fail:
			mark = "REGRESSION (limit " + r.Limit + ")"
		case r.Worse:
			mark = "worse"
		case r.Better:
			mark = "better"
		case r.FewSamples:
			mark = "not judged (few requests)"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\n", r.Metric, r.BaseText, r.NewText, r.Change, mark)
	}
	tw.Flush()
	if table.Len() > 0 {
		for _, line := range strings.Split(strings.TrimSuffix(table.String(), "\n"), "\n") {
			fmt.Fprintln(ew, strings.TrimRight(line, " ")) // padding of empty cells
		}
	}
	if hidden > 0 || len(few) > 0 {
		fmt.Fprintln(ew)
	}
	switch {
	case hidden > 0 && hidden == len(c.Rows):
		fmt.Fprintf(ew, "no differences beyond noise in %d rows (--all shows them)\n", hidden)
	case hidden > 0:
		fmt.Fprintf(ew, "%d rows unchanged or within noise hidden (--all shows them)\n", hidden)
	}
	if len(few) > 0 {
		fmt.Fprintf(ew, "not judged, fewer than %d requests in a report: %s\n", compare.MinSamples, strings.Join(few, ", "))
	}
	if len(c.OnlyInBase) > 0 {
		fmt.Fprintf(ew, "\nonly in base (not compared): %s\n", strings.Join(c.OnlyInBase, ", "))
	}
	if len(c.OnlyInNew) > 0 {
		fmt.Fprintf(ew, "\nonly in new (not compared): %s\n", strings.Join(c.OnlyInNew, ", "))
	}
	failed, notJudged, inconclusive := c.Tally()
	if len(c.Checks) > 0 {
		fmt.Fprintf(ew, "\nlimits:\n")
		tw = tabwriter.NewWriter(ew, 0, 0, 2, ' ', 0)
		for _, k := range c.Checks {
			verdict := k.Verdict()
			detail := fmt.Sprintf("%s → %s (%s)", k.Base, k.New, k.Change)
			if k.Base == "" {
				detail = ""
			}
			if k.Reason != "" {
				detail = strings.TrimSpace(detail + " " + k.Reason)
			}
			if k.NotJudged != "" && !strings.HasPrefix(k.NotJudged, report.InconclusivePrefix) {
				detail = strings.TrimSpace(detail + " " + k.NotJudged)
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\tlimit %s\n", verdict, k.Name, detail, k.Limit)
		}
		tw.Flush()
	}
	switch {
	case len(c.Checks) == 0:
		fmt.Fprintf(ew, "\nno limits set (--max-regression or the scenario's compare:): nothing to gate on\n")
	case failed > 0:
		fmt.Fprintf(ew, "\nFAIL: %d of %d limits exceeded\n", failed, len(c.Checks))
	case inconclusive > 0:
		fmt.Fprintf(ew, "\nINCONCLUSIVE: %d of %d limits exceeded, but %s\n", inconclusive, len(c.Checks), c.Inconclusive)
	case notJudged > 0:
		fmt.Fprintf(ew, "\nPASS: %d of %d limits held, %d not judged (too few requests)\n", len(c.Checks)-notJudged, len(c.Checks), notJudged)
	default:
		fmt.Fprintf(ew, "\nPASS: all %d limits held\n", len(c.Checks))
	}
	return ew.Err()
}
