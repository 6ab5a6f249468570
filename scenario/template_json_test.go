package scenario

import (
	"math/rand/v2"
	"testing"

	"ccload/ccapi"
)

// checkAppendJSON renders t with AppendJSON and with Append from the same seed: the text must
// be the same, and the escaped text, when AppendJSON vouches for it, exactly what escaping the
// whole text gives (what the body carried before the constant text was escaped at load).
func checkAppendJSON(t *testing.T, tm *Template, env Env, wantOK bool) {
	t.Helper()
	e1, e2 := env, env
	e1.Rand, e2.Rand = rand.New(rand.NewPCG(1, 2)), rand.New(rand.NewPCG(1, 2))
	e1.NowMs = func() int64 { return 1765000000123 }
	e2.NowMs = e1.NowMs
	want := tm.Append([]byte("pre"), &e1)
	got, jgot, ok := tm.AppendJSON([]byte("pre"), []byte("jpre"), &e2)
	if string(got) != string(want) {
		t.Fatalf("%q: AppendJSON rendered %q, Append %q", tm.Source(), got, want)
	}
	if ok != wantOK {
		t.Fatalf("%q: AppendJSON ok = %v, want %v", tm.Source(), ok, wantOK)
	}
	if ok {
		if wj := string(ccapi.AppendJSONEscaped([]byte("jpre"), string(want[3:]))); string(jgot) != wj {
			t.Fatalf("%q: AppendJSON escaped %q, want %q", tm.Source(), jgot, wj)
		}
	}
}

func TestAppendJSONEscapesAsTheWholeText(t *testing.T) {
	f := &Feeder{Name: "f", Columns: []string{"a", "b"}}
	env := Env{SessionID: "s\"1", UserID: "u\u2028é", Customer: 42, Seq: 7,
		Rows: [][]string{{"quote\" back\\ nl\n tab\t ctl\x01", "ok"}}}
	for _, src := range []string{
		"",
		"plain",
		"quote\" back\\ nl\n tab\t ctl\x01 \u2028 é 😀",
		"Message {{seq}} from {{customer}}.",
		"{{session}}/{{user}}/{{data.f.a}}/{{data.f.b}}",
		"a\"{{rand_int 1 9}}\"{{rand_str 5}}{{now_ms}}\n",
		`{{pick "x\"y" "é\\" "z"}} and {{pick "a" "b"}}`,
		"{{data.f.b}}{{data.f.a}}{{user}}{{session}}",
	} {
		tm, err := CompileTemplate(src, []*Feeder{f})
		if err != nil {
			t.Fatal(err)
		}
		checkAppendJSON(t, tm, env, true)
	}
	checkAppendJSON(t, Lit("lit \" \u2029"), env, true)
	var nilT *Template
	checkAppendJSON(t, nilT, env, true)
}

// A value that is not valid UTF-8 could join its neighbour into one rune when escaped whole
// and not when escaped piece by piece: AppendJSON says so (ok false) and the caller escapes the
// whole text, as before; the same for constant text that is not valid UTF-8 and for templates
// rendered as the inside of a JSON string (a card's fields), whose escaping would be escaped.
func TestAppendJSONRefusesWhatItCannotEscapeInPieces(t *testing.T) {
	f := &Feeder{Name: "f", Columns: []string{"a", "b"}}
	env := Env{Rows: [][]string{{"\xe2\x80", "\xa8 tail"}}}
	tm, err := CompileTemplate("{{data.f.a}}{{data.f.b}}", []*Feeder{f})
	if err != nil {
		t.Fatal(err)
	}
	checkAppendJSON(t, tm, env, false)
	checkAppendJSON(t, Lit("bad \xff"), env, false)
	bad, err := CompileTemplate("x\xe2\x80{{seq}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	checkAppendJSON(t, bad, env, false)
	esc, err := compileTemplate("a\"{{data.f.b}}", &tmplScope{feeders: []*Feeder{f}}, true)
	if err != nil {
		t.Fatal(err)
	}
	checkAppendJSON(t, esc, env, false)
}

// FuzzAppendJSON renders arbitrary templates with an arbitrary value in every string slot.
func FuzzAppendJSON(f *testing.F) {
	f.Add("hi {{seq}} \" {{user}}", "v\u2028")
	f.Add("{{data.f.a}}{{data.f.a}}", "\xe2\x80")
	f.Add(`{{pick "\"" "é"}}{{session}}`, "\x00")
	f.Fuzz(func(t *testing.T, src, v string) {
		tm, err := CompileTemplate(src, []*Feeder{{Name: "f", Columns: []string{"a"}}})
		if err != nil {
			return
		}
		env := Env{SessionID: v, UserID: v, Customer: 3, Seq: 1, Rows: [][]string{{v}}}
		e1, e2 := env, env
		e1.Rand, e2.Rand = rand.New(rand.NewPCG(3, 4)), rand.New(rand.NewPCG(3, 4))
		e1.NowMs = func() int64 { return 5 }
		e2.NowMs = e1.NowMs
		want := tm.Append(nil, &e1)
		got, jgot, ok := tm.AppendJSON(nil, nil, &e2)
		if string(got) != string(want) {
			t.Fatalf("rendered %q, Append %q", got, want)
		}
		if ok && string(jgot) != string(ccapi.AppendJSONEscaped(nil, string(want))) {
			t.Fatalf("escaped %q, want %q", jgot, ccapi.AppendJSONEscaped(nil, string(want)))
		}
	})
}
