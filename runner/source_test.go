package runner

import (
	"context"
	"fmt"
	"maps"
	"testing"
	"testing/synctest"
	"time"

	"ccload/mock"
	"ccload/scenario"
)

// sliceSource is a PlanSource over a slice, counting what it handed out.
type sliceSource struct {
	plan   []Planned
	handed int
}

func (s *sliceSource) Next(ctx context.Context) (Planned, bool) {
	if s.handed >= len(s.plan) || ctx.Err() != nil {
		return Planned{}, false
	}
	s.handed++
	return s.plan[s.handed-1], true
}

// chatSession streams (ParseSessions) session "replay" number i: CONNECT, i CHATs, DISCONNECT,
// with the session options opts (YAML lines) besides poll: false.
func chatSession(t *testing.T, sc *scenario.Scenario, i int, opts string) *scenario.Session {
	t.Helper()
	y := "sessions:\n  - name: replay\n    poll: false\n" + opts + "    steps:\n      - connect\n"
	for range i {
		y += "      - chat: hello\n"
	}
	y += "      - disconnect\n"
	ss, err := sc.ParseSessions(fmt.Sprintf("s%d", i), []byte(y))
	if err != nil {
		t.Fatal(err)
	}
	return ss[0]
}

// A streamed plan's arrivals each live the session the source gave them, compiled as they come
// (not one of the scenario's): the mock counts each streamed session's sends, and the run's
// arrivals end with the source, not with the stages (the scenario's 1 ms stage is long over).
func TestSourceStreamsSessions(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, nil)
		sc := parse(t, auth+`
load: {rate: 1, duration: 1ms}
sessions:
  - {name: standin, poll: false, steps: [connect]}
`)
		src := &sliceSource{}
		var sends int64
		for i := range 6 {
			// Session i sends i CHATs between its CONNECT and DISCONNECT.
			sends += int64(i + 2)
			src.plan = append(src.plan, Planned{At: time.Duration(i) * 20 * time.Millisecond, Sess: chatSession(t, sc, i, "")})
		}
		for _, streamed := range []bool{true, false} {
			srv.ResetStats()
			cfg := srv.target(Config{Scenario: sc, Source: src})
			if !streamed { // the same sessions as a Plan held whole; a Plan ends with the stages
				cfg.Source, cfg.Plan = nil, src.plan
				cfg.Duration = time.Second
			}
			rep := runOK(t, context.Background(), cfg)
			st := srv.Stats()
			if src.handed != 6 || rep.Sessions.Arrivals != 6 || rep.Sessions.Completed != 6 {
				t.Errorf("streamed %v: source handed %d, report: %+v", streamed, src.handed, rep.Sessions)
			}
			if st.Endpoints["sendAsync"] != sends || st.ControlTypes["CHAT"] != 15 || st.ControlTypes["DISCONNECT"] != 6 {
				t.Errorf("streamed %v: the mock saw %d sends (%v), want %d: 15 CHATs, 6 DISCONNECTs", streamed, st.Endpoints["sendAsync"], st.ControlTypes, sends)
			}
		}
	})
}

// Streamed (replayed) sessions are named in failure_reasons like the scenario's (issue 21:
// every row used to read session "?" step "?"): one row per session name, step and reason,
// counting every streamed session that failed there, however many distinct sessions streamed.
func TestStreamedFailuresNamed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		srv := bubbleMock(t, func(o *mock.Options) { o.ErrorRate, o.ErrorKind = 1, "13" })
		sc := parse(t, auth+`
load: {rate: 1, duration: 1ms}
sessions:
  - {name: standin, poll: false, steps: [connect]}
`)
		src := &sliceSource{}
		for i := range 4 {
			// Session i: CONNECT, i CHATs, DISCONNECT; every request is refused and the session goes on.
			ss := chatSession(t, sc, i, "    on_failure: continue\n")
			// Each session twice, one after the other (replay --scale 2 hands out copies so).
			at := time.Duration(i) * 20 * time.Millisecond
			src.plan = append(src.plan, Planned{At: at, Sess: ss}, Planned{At: at + time.Millisecond, Sess: ss})
		}
		rep := runOK(t, context.Background(), srv.target(Config{Scenario: sc, Source: src}))
		got := map[string]int64{}
		for _, f := range rep.FailureReasons {
			if f.Session == "?" || f.Step == "?" {
				t.Errorf("a failure row does not name its session or step: %+v", f)
			}
			got[f.Session+" / "+f.Step+" / "+f.Reason] += f.Count
		}
		want := map[string]int64{
			"replay / steps[0] connect / resultCode 13":    8,
			"replay / steps[1] chat / resultCode 13":       6,
			"replay / steps[2] chat / resultCode 13":       4,
			"replay / steps[3] chat / resultCode 13":       2,
			"replay / steps[1] disconnect / resultCode 13": 2,
			"replay / steps[2] disconnect / resultCode 13": 2,
			"replay / steps[3] disconnect / resultCode 13": 2,
			"replay / steps[4] disconnect / resultCode 13": 2,
		}
		if !maps.Equal(got, want) {
			t.Errorf("failure rows:\n got %v\nwant %v", got, want)
		}
	})
}
