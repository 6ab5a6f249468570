package report_test

import (
	"bytes"
	"strings"
	"testing"

	"ccload/render"
	"ccload/report"
	"ccload/report/merge"
	"ccload/report/reporttest"
)

// Shards' push sections add up exactly, and the merged section validates.
func TestMergeAddsPushSections(t *testing.T) {
	_, shards := reporttest.SplitStream(t, 5, 3, 3, nil)
	shards[0].Push, shards[1].Push = reporttest.Push(1), reporttest.Push(2) // shard 2 had no push sessions
	merged, err := merge.Reports(shards...)
	if err != nil {
		t.Fatal(err)
	}
	want := reporttest.Push(3)
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
	_, shards := reporttest.SplitStream(t, 5, 3, 1, nil)
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
		r.Push = reporttest.Push(1)
		c.edit(r.Push)
		err := report.Validate(r)
		ve, ok := err.(*report.ValidationError)
		if !ok || ve.Path != c.path {
			t.Errorf("broken push: error %v, want one at %s", err, c.path)
		}
	}
}
