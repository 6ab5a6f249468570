package scenario

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// FuzzLoad feeds arbitrary bytes to the loader: it must never panic, and it returns either
// a scenario whose plan can be computed or positioned, sorted errors. The seeds are every
// example scenario and a few broken ones; they run in plain `go test`.
func FuzzLoad(f *testing.F) {
	files, _ := filepath.Glob("../scenarios/*.yaml")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		"",
		"\t- x",
		head + "  - steps: [connect, {chat: \"{{session\"}]\n",
		head + "  - steps: [connect, {repeat: {count: {lognormal: {median: 1, p90: 3}}, steps: [{chat: x}]}}]\n",
		"a: &a [*a, *a]\n",
		"x: &x {a: 1}\nload: *x\nsessions: [{steps: *x}]\n",
		"thresholds: [{metric: rps, group: chat, min: 1}]\n" + head + "  - steps: [{connect: {name: chat}}]\n",
	} {
		f.Add([]byte(s))
	}
	env := func(k string) (string, bool) {
		if k == "SET" {
			return "value", true
		}
		return "", false
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		sc, err := Parse("fuzz.yaml", data, "../scenarios", env)
		if err != nil {
			var es Errors
			if !errors.As(err, &es) || len(es) == 0 {
				t.Fatalf("error %T %v is not a non-empty Errors", err, err)
			}
			if last := es[len(es)-1]; last.Line == 0 && strings.HasPrefix(last.Msg, "... and ") {
				es = es[:len(es)-1]
			}
			if !sort.SliceIsSorted(es, func(i, j int) bool {
				return es[i].Line < es[j].Line || es[i].Line == es[j].Line && es[i].Col < es[j].Col
			}) {
				t.Fatalf("errors not sorted by position:\n%v", err)
			}
			return
		}
		if sc == nil || len(sc.Sessions) == 0 || len(sc.Load.Stages) == 0 {
			t.Fatalf("valid scenario without sessions or stages: %+v", sc)
		}
		p := sc.Plan()
		if err := p.Write(io.Discard); err != nil {
			t.Fatal(err)
		}
		env := &Env{SessionID: "s", Customer: 1, Rows: make([][]string, len(sc.Feeders))}
		for i, fd := range sc.Feeders {
			env.Rows[i] = fd.Rows[0]
		}
		for _, s := range sc.Sessions {
			s.Channel.UserID.String(env)
			var walk func([]*Step)
			walk = func(steps []*Step) {
				for _, st := range steps {
					if st.Send != nil {
						st.Send.Content.String(env)
					}
					walk(st.Steps)
				}
			}
			walk(s.Steps)
		}
	})
}
