package report_test

import (
	"bytes"
	"ccload/render"
	"ccload/report"
	"strings"
	"testing"
)

func testPush(k int64) *report.Push {
	return &report.Push{URL: "http://h:9090/webhooks/v1/messages", Callbacks: 10 * k, Accepted: 7 * k, Malformed: k, TooLarge: k, Faulted: k, BadAuth: 2 * k,
		Messages: report.PushMessages{Matched: 9 * k, Unknown: k, Duplicated: k, Late: k}, Kinds: report.PushKinds{Robot: 8 * k, Agent: 2 * k, System: 2 * k}}
}

// Shards' push sections add up exactly, and the merged section validates.
func TestMergeAddsPushSections(t *testing.T) {
	_, shards := splitStream(t, 5, 3, 3, nil)
	shards[0].Push, shards[1].Push = testPush(1), testPush(2) // shard 2 had no push sessions
	merged, err := report.Merge(shards...)
	if err != nil {
		t.Fatal(err)
	}
	want := testPush(3)
	if merged.Push == nil || *merged.Push != *want {
		t.Fatalf("merged push %+v, want %+v", merged.Push, want)
	}
	if err := report.Validate(merged); err != nil {
		t.Fatal(err)
	}
	var con, ju bytes.Buffer
	if err := render.WriteSummary(&con, merged); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(con.String(), "messages 36: matched 27, unknown customer 3, duplicated 3, late 3") {
		t.Errorf("console lacks the push counts:\n%s", con.String())
	}
	if err := render.WriteJUnit(&ju, merged); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ju.String(), `<property name="push.messages.unknown" value="3">`) {
		t.Errorf("junit lacks push properties:\n%s", ju.String())
	}
}

// A push section whose counts do not partition is refused.
func TestValidateRefusesBrokenPush(t *testing.T) {
	_, shards := splitStream(t, 5, 3, 1, nil)
	r := shards[0]
	for _, c := range []struct {
		edit func(p *report.Push)
		path string
	}{
		{func(p *report.Push) { p.Accepted++ }, "push.callbacks"},
		{func(p *report.Push) { p.Kinds.Robot++ }, "push.messages"},
		{func(p *report.Push) { p.Messages.Late = -1 }, "push.messages.late"},
		{func(p *report.Push) { p.BadAuth = 100 }, "push.bad_auth"},
	} {
		r.Push = testPush(1)
		c.edit(r.Push)
		err := report.Validate(r)
		ve, ok := err.(*report.ValidationError)
		if !ok || ve.Path != c.path {
			t.Errorf("broken push: error %v, want one at %s", err, c.path)
		}
	}
}

// callbacks_* thresholds read the push section, and say "no data" without one.
func TestCallbackThresholds(t *testing.T) {
	_, shards := splitStream(t, 5, 3, 1, nil)
	r := shards[0]
	if _, ok := report.PushGateValue(r, "callbacks_unknown"); ok {
		t.Error("callbacks_unknown has a value on a run without push")
	}
	r.Push = testPush(2)
	for fam, want := range map[string]float64{"callbacks_unknown": 2, "callbacks_late": 2, "callbacks_duplicated": 2, "callbacks_malformed": 4, "callbacks_bad_auth": 4} {
		if v, ok := report.PushGateValue(r, fam); !ok || v != want {
			t.Errorf("%s = %v (%v), want %g", fam, v, ok, want)
		}
	}
}
