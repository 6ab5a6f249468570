package render

import (
	"fmt"
	"io"

	"ccload/report"
)

// writePush is the console's push section.
func writePush(w io.Writer, r *report.Report) {
	p := r.Push
	if p == nil {
		return
	}
	fmt.Fprintf(w, "Push (webhook %s)\n", p.URL)
	fmt.Fprintf(w, "  callbacks %d: accepted %d, malformed %d, too large %d, faulted %d, stalled %d, abandoned %d; without a well-formed auth-v2 header %d\n",
		p.Callbacks, p.Accepted, p.Malformed, p.TooLarge, p.Faulted, p.Stalled, p.Abandoned, p.BadAuth)
	fmt.Fprintf(w, "  messages %d: matched %d, unknown customer %d, duplicated %d, late %d (robot %d, agent %d, system %d, other %d)\n",
		p.Messages.Total(), p.Messages.Matched, p.Messages.Unknown, p.Messages.Duplicated, p.Messages.Late,
		p.Kinds.Robot, p.Kinds.Agent, p.Kinds.System, p.Kinds.Other)
	if n := p.Messages.Overflowed; n > 0 {
		fmt.Fprintf(w, "  WARNING: %d matched messages never reached their customer: 64 already waited for it (the oldest went); the customers fell behind their pushes\n", n)
	}
	fmt.Fprintln(w)
}

// pushProperties are the JUnit properties of the push section (name, value), named as
// report.json's push fields: every callback outcome, so they sum to push.callbacks.
func pushProperties(r *report.Report) [][2]string {
	p := r.Push
	if p == nil {
		return nil
	}
	f := func(n int64) string { return fmt.Sprint(n) }
	return [][2]string{
		{"push.callbacks", f(p.Callbacks)}, {"push.accepted", f(p.Accepted)}, {"push.malformed", f(p.Malformed)},
		{"push.too_large", f(p.TooLarge)}, {"push.faulted", f(p.Faulted)}, {"push.stalled", f(p.Stalled)},
		{"push.abandoned", f(p.Abandoned)}, {"push.bad_auth", f(p.BadAuth)}, {"push.not_callbacks", f(p.NotCallbacks)},
		{"push.messages.matched", f(p.Messages.Matched)}, {"push.messages.unknown", f(p.Messages.Unknown)},
		{"push.messages.duplicated", f(p.Messages.Duplicated)}, {"push.messages.late", f(p.Messages.Late)},
		{"push.messages.overflowed", f(p.Messages.Overflowed)},
	}
}
