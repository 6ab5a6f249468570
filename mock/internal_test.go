package mock

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestParseDist(t *testing.T) {
	ms := time.Millisecond
	for _, tc := range []struct {
		in      string
		want    Dist
		wantErr bool
	}{
		{"", Dist{}, false},
		{"0", Dist{}, false},
		{"200ms", Constant(200 * ms), false},
		{"constant:1s", Constant(time.Second), false},
		{"uniform:1ms:10ms", Dist{Kind: DistUniform, A: ms, B: 10 * ms}, false},
		{"lognormal:5ms:50ms", Dist{Kind: DistLognormal, A: 5 * ms, B: 50 * ms}, false},
		{"LogNormal:5ms:5ms", Dist{Kind: DistLognormal, A: 5 * ms, B: 5 * ms}, false},
		{"uniform:10ms:1ms", Dist{}, true},
		{"uniform:1ms", Dist{}, true},
		{"lognormal:0s:1s", Dist{}, true},
		{"lognormal:2s:1s", Dist{}, true},
		{"constant:-1s", Dist{}, true},
		{"-5ms", Dist{}, true},
		{"200", Dist{}, true},
		{"normal:1s:2s", Dist{}, true},
	} {
		got, err := ParseDist(tc.in)
		if (err != nil) != tc.wantErr || got != tc.want {
			t.Errorf("ParseDist(%q) = %v, %v; want %v, error %v", tc.in, got, err, tc.want, tc.wantErr)
		}
		if err == nil {
			back, err := ParseDist(got.String())
			if err != nil || back != got {
				t.Errorf("round trip of %q via %q gave %v, %v", tc.in, got.String(), back, err)
			}
		}
	}
}

func TestDistSample(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const n = 20001
	draw := func(d Dist) []time.Duration {
		v := make([]time.Duration, n)
		for i := range v {
			v[i] = d.Sample(r)
		}
		slices.Sort(v)
		return v
	}
	ln := draw(Dist{Kind: DistLognormal, A: 20 * time.Millisecond, B: 200 * time.Millisecond})
	if med := ln[n/2]; med < 17*time.Millisecond || med > 23*time.Millisecond {
		t.Errorf("lognormal median %v, want about 20ms", med)
	}
	if p99 := ln[n*99/100]; p99 < 150*time.Millisecond || p99 > 260*time.Millisecond {
		t.Errorf("lognormal p99 %v, want about 200ms", p99)
	}
	u := draw(Dist{Kind: DistUniform, A: time.Millisecond, B: 3 * time.Millisecond})
	if u[0] < time.Millisecond || u[n-1] > 3*time.Millisecond {
		t.Errorf("uniform range [%v, %v], want within [1ms, 3ms]", u[0], u[n-1])
	}
	if Constant(5*time.Millisecond).Sample(nil) != 5*time.Millisecond {
		t.Error("constant sample")
	}
}

func TestStallEnd(t *testing.T) {
	ms := int64(time.Millisecond)
	for _, tc := range []struct {
		t, stall, period int64
		end              int64
		stalled          bool
	}{
		{0, 400 * ms, 500 * ms, 0, false},
		{99 * ms, 400 * ms, 500 * ms, 0, false},
		{100 * ms, 400 * ms, 500 * ms, 500 * ms, true},
		{499 * ms, 400 * ms, 500 * ms, 500 * ms, true},
		{500 * ms, 400 * ms, 500 * ms, 0, false},
		{1250 * ms, 400 * ms, 500 * ms, 1500 * ms, true},
		{9500 * ms, 1000 * ms, 10000 * ms, 10000 * ms, true},
		{8999 * ms, 1000 * ms, 10000 * ms, 0, false},
		{5 * ms, 0, 0, 0, false},
	} {
		end, stalled := stallEnd(tc.t, tc.stall, tc.period)
		if end != tc.end || stalled != tc.stalled {
			t.Errorf("stallEnd(%d, %d, %d) = %d, %v; want %d, %v", tc.t, tc.stall, tc.period, end, stalled, tc.end, tc.stalled)
		}
	}
}

func TestCapacityWaitIsASingleServerQueue(t *testing.T) {
	s, err := newServer(Options{Capacity: 10}) // 100ms per request
	if err != nil {
		t.Fatal(err)
	}
	defer s.sched.close()
	ms := int64(time.Millisecond)
	for _, tc := range []struct{ now, want int64 }{
		{0, 0},               // idle server
		{0, 100 * ms},        // behind the first
		{50 * ms, 150 * ms},  // behind two, 50ms later
		{1000 * ms, 0},       // the queue drained
		{1010 * ms, 90 * ms}, // behind the one at 1000ms
		{2000 * ms, 0},       // drained again
	} {
		if got := s.capacityWait(tc.now); got != tc.want {
			t.Errorf("capacityWait(%dms) = %dms, want %dms", tc.now/ms, got/ms, tc.want/ms)
		}
	}
}

func TestSchedulerRunsEventsInTimeOrder(t *testing.T) {
	var clock int64
	got := make(chan int64, 100)
	s := newScheduler(func() int64 { return clock }, func(b []event) {
		for _, e := range b {
			got <- e.at
		}
	})
	// With the clock at 0 nothing is due; pushing in any order, then moving the
	// clock and waking the loop, runs them in time order.
	for _, at := range []int64{5, 1, 4, 2, 3} {
		s.push(event{at: at, kind: evRobotReply})
	}
	if s.Len() != 5 {
		t.Fatalf("Len %d, want 5", s.Len())
	}
	s.close()
	clock = 10
	s.stop = make(chan struct{})
	s.done = make(chan struct{})
	go s.loop()
	defer s.close()
	for want := int64(1); want <= 5; want++ {
		select {
		case at := <-got:
			if at != want {
				t.Fatalf("event at %d ran, want %d next", at, want)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("scheduler did not run due events")
		}
	}
}
