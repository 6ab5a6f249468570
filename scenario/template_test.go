package scenario

import (
	"encoding/json"
	"math/rand/v2"
	"regexp"
	"strings"
	"testing"
)

func testFeeders() []*Feeder {
	return []*Feeder{
		{Name: "users", Columns: []string{"name", "tier"}, Rows: [][]string{{"Ann \"A\"", "gold"}}},
		{Name: "questions", Columns: []string{"line"}, Rows: [][]string{{"where?"}}},
	}
}

func testEnv() *Env {
	return &Env{
		SessionID: "k3", UserID: "c7sk3", Customer: 7, Seq: 4,
		Rows:  [][]string{{"Ann \"A\"", "gold"}, {"where?"}},
		Rand:  rand.New(rand.NewPCG(1, 2)),
		NowMs: func() int64 { return 1700000000123 },
	}
}

func TestTemplateRender(t *testing.T) {
	cases := []struct{ src, want string }{
		{"plain text", "plain text"},
		{"", ""},
		{"s={{session}} c={{customer}} q={{seq}} u={{user}} t={{now_ms}}", "s=k3 c=7 q=4 u=c7sk3 t=1700000000123"},
		{"{{ data.users.name }}/{{data.users.tier}}/{{data.questions.line}}", "Ann \"A\"/gold/where?"},
		{`{{"{{"}}literal`, "{{literal"},
		{"{{pick only}}", "only"},
		{`{{pick "two words"}}`, "two words"},
		{"{{rand_int 5 5}}", "5"},
		{"a {{ unclosed", ""}, // an error case, see below
	}
	for _, c := range cases[:len(cases)-1] {
		tp, err := CompileTemplate(c.src, testFeeders())
		if err != nil {
			t.Fatalf("%q: %v", c.src, err)
		}
		if got := tp.String(testEnv()); got != c.want {
			t.Errorf("%q rendered %q, want %q", c.src, got, c.want)
		}
	}
	// Random functions stay within their bounds and alphabet.
	tp, err := CompileTemplate(`{{rand_int 10 20}}|{{rand_str 12}}|{{pick "a" "b" "c"}}`, nil)
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`^(1[0-9]|20)\|[A-Za-z0-9]{12}\|[abc]$`)
	env := testEnv()
	for range 200 {
		if got := tp.String(env); !re.MatchString(got) {
			t.Fatalf("rendered %q", got)
		}
	}
}

func TestTemplateLiteral(t *testing.T) {
	tp, err := CompileTemplate("no placeholders {{\"here\"}}", nil)
	if err != nil {
		t.Fatal(err)
	}
	if s, ok := tp.Literal(); !ok || s != "no placeholders here" {
		t.Errorf("Literal() = %q, %v", s, ok)
	}
	tp, _ = CompileTemplate("{{session}}", nil)
	if _, ok := tp.Literal(); ok {
		t.Error("a template with a variable reports literal")
	}
	var nilT *Template
	if got := nilT.Append([]byte("x"), testEnv()); string(got) != "x" {
		t.Errorf("nil template appended %q", got)
	}
}

func TestTemplateErrors(t *testing.T) {
	cases := []struct{ src, want string }{
		{"{{sesion}}", "unknown variable or function \"sesion\" in {{sesion}}; did you mean `session`?"},
		{"hi {{session", "unclosed {{"},
		{"{{}}", "empty {{}}"},
		{"{{rand_int 1}}", "rand_int takes 2 arguments (MIN MAX), got 1"},
		{"{{rand_int 9 1}}", "rand_int MIN must be <= MAX"},
		{"{{rand_int a b}}", "rand_int needs two integers"},
		{"{{rand_str}}", "rand_str takes 1 argument"},
		{"{{rand_str 0}}", "rand_str LENGTH must be an integer from 1 to 1024"},
		{"{{pick}}", "pick needs at least one choice"},
		{"{{session 1}}", "session takes no arguments"},
		{"{{data.users}}", "write data.<feeder>.<column>"},
		{"{{data.user.name}}", "unknown feeder \"user\" in {{data.user.name}}; did you mean `users`?"},
		{"{{data.users.nam}}", "feeder \"users\" has no column \"nam\""},
		{`{{pick "open}}`, "unterminated quoted string"},
	}
	for _, c := range cases {
		_, err := CompileTemplate(c.src, testFeeders())
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%q: got %v, want %q", c.src, err, c.want)
		}
	}
}

// TestTemplateAllocs asserts the hot-path promise: rendering a template that uses every
// variable and function allocates nothing once the buffer is large enough.
func TestTemplateAllocs(t *testing.T) {
	tp, err := CompileTemplate(`{{session}} {{customer}} {{seq}} {{user}} {{now_ms}} {{data.users.name}} {{rand_int 1 100}} {{rand_str 8}} {{pick "a" "b"}}`, testFeeders())
	if err != nil {
		t.Fatal(err)
	}
	esc, err := compileTemplate(`{{user}} {{data.users.name}} "q" {{pick "x\"y" "z"}}`, &tmplScope{feeders: testFeeders()}, true)
	if err != nil {
		t.Fatal(err)
	}
	env := testEnv()
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() {
		buf = tp.Append(buf[:0], env)
		buf = esc.Append(buf, env)
	}); n != 0 {
		t.Errorf("Append allocated %v times per run, want 0", n)
	}
}

// TestTemplateJSONEscape checks that templated WEBCARD fields render as valid JSON
// whatever a feeder value holds.
func TestTemplateJSONEscape(t *testing.T) {
	sc := mustParse(t, head+`  - steps:
      - connect
      - card: {title: "{{data.users.name}}", description: "tab\there", redirect_url: "https://x/{{session}}"}
`, "data: {users: {csv: quotes.csv}}\n")
	card := sc.Sessions[0].Steps[1].Send
	env := testEnv()
	env.Rows = [][]string{sc.Feeders[0].Rows[0]}
	out := card.Content.String(env)
	var got map[string]string
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("card content %q is not JSON: %v", out, err)
	}
	want := map[string]string{"title": "He said \"hi\\there\"\n", "description": "tab\there", "redirectUrl": "https://x/k3"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
}

func BenchmarkTemplateAppend(b *testing.B) {
	tp, err := CompileTemplate(`Hello {{data.users.name}}, session {{session}} seq {{seq}} at {{now_ms}} {{rand_str 8}}`, testFeeders())
	if err != nil {
		b.Fatal(err)
	}
	env := testEnv()
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		buf = tp.Append(buf[:0], env)
	}
}

func mustParse(t testing.TB, yaml string, prefix ...string) *Scenario {
	t.Helper()
	src := strings.Join(prefix, "") + yaml
	sc, err := Parse("t.yaml", []byte(src), "testdata", nil)
	if err != nil {
		t.Fatalf("%v\n%s", err, src)
	}
	return sc
}
