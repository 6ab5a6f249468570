package main

import (
	"io"
	"path/filepath"

	"ccload/render"
	"ccload/report"
)

// summaryLink is the link a Markdown summary written to md gives to its HTML page: link when
// given (a CI artifact URL), else the HTML file's path relative to the summary ("" without one).
func summaryLink(md, link, html string) string {
	if link != "" || html == "" {
		return link
	}
	if rel, err := filepath.Rel(filepath.Dir(md), html); err == nil {
		return filepath.ToSlash(rel)
	}
	return filepath.ToSlash(html)
}

// markdownWriter is report's --markdown output: the summary linking to the --html file, or to
// the --out directory's report.html.
func markdownWriter(md, link, html, dir string) func(io.Writer, *report.Report) error {
	if html == "" && dir != "" {
		html = filepath.Join(dir, report.HTMLFileName)
	}
	opts := render.MarkdownOptions{HTML: summaryLink(md, link, html)}
	return func(w io.Writer, r *report.Report) error { return render.WriteMarkdown(w, r, opts) }
}
