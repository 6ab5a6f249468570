package runner

import (
	"math/rand/v2"
	"strings"
	"testing"

	"ccload/ccapi"
	"ccload/report"
	"ccload/scenario"
)

// testVC returns a customer in its first session of sc, without a client.
func testVC(t testing.TB, sc *scenario.Scenario) *vc {
	r := &run{sc: sc, seed: 1}
	r.index()
	c := r.newVC(7)
	c.sess = sc.Sessions[0]
	c.env.SessionID = "s1"
	c.env.UserID = c.render(c.sess.Channel.UserID)
	c.channel = c.render(c.sess.Channel.Channel)
	c.to = c.render(c.sess.Channel.To)
	return c
}

func chatStep(sc *scenario.Scenario) *scenario.Step {
	for _, st := range sc.Sessions[0].Steps {
		if st.Kind == scenario.StepChat {
			return st
		}
	}
	return nil
}

const buildSrc = `
load: {rate: 1, duration: 1s}
sessions:
  - name: s
    steps:
      - connect
      - chat: {text: "hello {{customer}} #{{seq}} {{rand_str 8}}", message_id: "m{{session}}x{{seq}}"}
`

func TestBuildRendersTemplatesIntoAValidRequest(t *testing.T) {
	sc := parse(t, buildSrc)
	c := testVC(t, sc)
	st := chatStep(sc)
	c.env.Seq = 3
	c.build(st.Send, "")
	r := c.x.req
	if r.ControlType != ccapi.Chat || r.MediaType != ccapi.Text || r.From != c.env.UserID || r.From == "" {
		t.Errorf("request %+v: wrong control/media type or from", r)
	}
	if want := "hello 7 #3 "; len(r.Content) != len(want)+8 || r.Content[:len(want)] != want {
		t.Errorf("content = %q, want %q + 8 random characters", r.Content, want)
	}
	if r.MessageID != "ms1x3" {
		t.Errorf("messageId = %q, want ms1x3", r.MessageID)
	}
	if r.Channel == "" || r.To == "" || r.SourceType != ccapi.SourceCustomer {
		t.Errorf("channel %q, to %q, sourceType %q: defaults not applied", r.Channel, r.To, r.SourceType)
	}
	if errs := r.Validate(sc.Target.Rules()); len(errs) > 0 {
		t.Errorf("rendered request breaks rules: %v", errs)
	}
}

func TestBuildAllocatesNothing(t *testing.T) {
	sc := parse(t, buildSrc)
	c := testVC(t, sc)
	st := chatStep(sc)
	c.build(st.Send, "") // grow the buffer once
	rules := sc.Target.Rules()
	allocs := testing.AllocsPerRun(100, func() {
		c.env.Seq++
		c.build(st.Send, "")
		if errs := c.x.req.Validate(rules); len(errs) > 0 {
			t.Fatal(errs)
		}
	})
	if allocs != 0 {
		t.Errorf("build + Validate allocates %v times per request, want 0", allocs)
	}
}

func BenchmarkBuild(b *testing.B) {
	sc, err := scenario.Parse("b.yaml", []byte(buildSrc), ".", nil)
	if err != nil {
		b.Fatal(err)
	}
	c := testVC(b, sc)
	st := chatStep(sc)
	rules := sc.Target.Rules()
	b.ReportAllocs()
	for b.Loop() {
		c.env.Seq++
		c.build(st.Send, "")
		_ = c.x.req.Validate(rules)
	}
}

func TestPickSessionFollowsTheWeights(t *testing.T) {
	sc := parse(t, `
load: {rate: 1, duration: 1s}
sessions:
  - {name: a, weight: 3, steps: [connect]}
  - {name: b, weight: 1, steps: [connect]}
`)
	r := &run{sc: sc}
	r.index()
	rng := rand.New(rand.NewPCG(1, 2))
	n := map[string]int{}
	for range 4000 {
		n[r.pickSession(rng).Name]++
	}
	if a := n["a"]; a < 2850 || a > 3150 {
		t.Errorf("session a drawn %d of 4000 times, want about 3000", a)
	}
}

// TestErrKindsConvertToTheSameClass pins the numeric conversion observe does
// (report.ErrClass(call.Kind)): the two enums must list the same outcomes in the same order.
func TestErrKindsConvertToTheSameClass(t *testing.T) {
	for k := ccapi.KindOK; k <= ccapi.KindUnknownReceipt; k++ {
		if got, want := report.ErrClass(k).String(), k.String(); got != want {
			t.Errorf("ccapi kind %d (%s) becomes report class %s", k, want, got)
		}
		if report.ErrClass(k).NotSent() != k.NotSent() {
			t.Errorf("ccapi kind %s and its report class disagree on not sent", k)
		}
	}
	if s := report.ErrClass(ccapi.KindUnknownReceipt + 1).String(); s != "unknown" {
		t.Errorf("report has a class after unknown_receipt (%s) that ccapi lacks", s)
	}
}

// TestBuildLiteralIsBuildRendered: a step whose fields are all literal or absent takes
// buildLiteral; it must fill the request exactly as the general path does (defaults from the
// channel, empty literals falling back to them, the content escaped at load).
func TestBuildLiteralIsBuildRendered(t *testing.T) {
	sc := parse(t, `
load: {rate: 1, duration: 1s}
channel: {channel: APP, to: "42", nickname: Nick, source_type: CUSTOMER}
sessions:
  - name: s
    steps:
      - connect
      - chat: "hi \" {{seq}}"
      - chat: {text: "literal é", message_id: "m1", sender_nickname: "", trans_data: '{"k":1}', channel: WEB}
      - disconnect
`)
	c := testVC(t, sc)
	n := 0
	for _, st := range sc.Sessions[0].Steps {
		if st.Send == nil {
			continue
		}
		for _, content := range []string{"", "given,png"} {
			c.env.Seq = 5
			if !c.buildLiteral(st.Send, &c.sess.Channel, content) {
				t.Fatalf("step %s: buildLiteral refused a step with literal fields", st.Path)
			}
			lit := c.x.req
			lit.Content, lit.ContentJSON = strings.Clone(lit.Content), strings.Clone(lit.ContentJSON)
			if lit.ContentJSON != "" && lit.ContentJSON != string(ccapi.AppendJSONEscaped(nil, lit.Content)) {
				t.Errorf("step %s: content %q escaped as %q", st.Path, lit.Content, lit.ContentJSON)
			}
			c.env.Seq = 5
			c.buildRendered(st.Send, content)
			if c.x.req != lit {
				t.Errorf("step %s, content %q:\n literal  %+v\n rendered %+v", st.Path, content, lit, c.x.req)
			}
			n++
		}
	}
	if n != 8 {
		t.Fatalf("compared %d requests, want 8 (4 steps, 2 contents each)", n)
	}
	// A templated field sends build down the general path.
	sc = parse(t, buildSrc)
	c = testVC(t, sc)
	if c.buildLiteral(chatStep(sc).Send, &c.sess.Channel, "") {
		t.Error("buildLiteral took a step with a templated message_id")
	}
}
