package runner

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"ccload/scenario"
)

func st(d time.Duration, from, to float64) scenario.Stage {
	return scenario.Stage{Duration: d, From: from, To: to}
}

func collect(a *arrivals) []time.Duration {
	var ts []time.Duration
	for i := 0; i < 1_000_000; i++ {
		_, t, ok := a.next()
		if !ok {
			break
		}
		ts = append(ts, t)
	}
	return ts
}

func TestUniformArrivals(t *testing.T) {
	ms := time.Millisecond
	tests := []struct {
		name   string
		stages []scenario.Stage
		want   []time.Duration // first arrivals
		count  int
	}{
		{"constant 10/s", []scenario.Stage{st(time.Second, 10, 10)}, []time.Duration{0, 100 * ms, 200 * ms}, 10},
		{"ramp 0 to 10/s over 10s", []scenario.Stage{st(10*time.Second, 0, 10)},
			// Λ(t) = t²/2, arrival k at √(2k) s
			[]time.Duration{0, time.Duration(math.Sqrt(2) * float64(time.Second)), 2 * time.Second}, 50},
		{"two stages", []scenario.Stage{st(time.Second, 2, 2), st(time.Second, 4, 4)},
			[]time.Duration{0, 500 * ms, time.Second, 1250 * ms}, 6},
		{"zero rate then burst", []scenario.Stage{st(time.Second, 0, 0), st(time.Second, 1, 1)},
			[]time.Duration{time.Second}, 1},
		{"ramp down 10 to 0", []scenario.Stage{st(2*time.Second, 10, 0)}, []time.Duration{0}, 10},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := collect(newArrivals(tt.stages, false, nil))
			if len(ts) != tt.count {
				t.Fatalf("got %d arrivals, want %d (%v)", len(ts), tt.count, ts)
			}
			for i, w := range tt.want {
				if d := ts[i] - w; d < -time.Microsecond || d > time.Microsecond {
					t.Errorf("arrival %d at %v, want %v", i, ts[i], w)
				}
			}
			for i := 1; i < len(ts); i++ {
				if ts[i] < ts[i-1] {
					t.Fatalf("arrivals out of order at %d: %v < %v", i, ts[i], ts[i-1])
				}
			}
		})
	}
}

func TestPoissonArrivalsMatchTheRate(t *testing.T) {
	stages := []scenario.Stage{st(50*time.Second, 0, 200), st(50*time.Second, 200, 200)}
	want := expectedArrivals(stages) // 15000
	ts := collect(newArrivals(stages, true, rand.New(rand.NewPCG(1, 2))))
	// Poisson count has sd √15000 ≈ 122; 4 sd is 3.3%.
	if got := float64(len(ts)); math.Abs(got-want)/want > 0.033 {
		t.Fatalf("got %v arrivals, want about %v", got, want)
	}
	// The first stage ramps, so it holds a third of the arrivals.
	var first int
	for _, x := range ts {
		if x < 50*time.Second {
			first++
		}
	}
	if f := float64(first) / float64(len(ts)); f < 0.30 || f > 0.37 {
		t.Fatalf("share in the ramp = %.3f, want about 1/3", f)
	}
	// Same seed, same schedule.
	again := collect(newArrivals(stages, true, rand.New(rand.NewPCG(1, 2))))
	if len(again) != len(ts) || again[100] != ts[100] {
		t.Fatal("the same seed gave a different schedule")
	}
}

func TestShardCountPartitionsCustomers(t *testing.T) {
	for _, n := range []int{1, 2, 3, 7} {
		for level := 0; level < 30; level++ {
			sum := 0
			for i := 0; i < n; i++ {
				want := 0
				for k := 0; k < level; k++ {
					if k%n == i {
						want++
					}
				}
				if got := shardCount(level, i, n); got != want {
					t.Fatalf("shardCount(%d,%d,%d) = %d, want %d", level, i, n, got, want)
				}
				sum += want
			}
			if sum != level {
				t.Fatalf("shards of %d sum to %d", level, sum)
			}
		}
	}
}

func TestWithDuration(t *testing.T) {
	s := []scenario.Stage{st(10*time.Second, 0, 10), st(10*time.Second, 10, 10)}
	tests := []struct {
		name string
		d    time.Duration
		want []scenario.Stage
	}{
		{"unchanged", 0, s},
		{"cut in the ramp", 5 * time.Second, []scenario.Stage{st(5*time.Second, 0, 5)}},
		{"cut at a boundary", 10 * time.Second, []scenario.Stage{st(10*time.Second, 0, 10)}},
		{"extended", 30 * time.Second, append(append([]scenario.Stage{}, s...), st(10*time.Second, 10, 10))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := withDuration(s, tt.d)
			if len(got) != len(tt.want) {
				t.Fatalf("got %v, want %v", got, tt.want)
			}
			for i := range got {
				if got[i].Duration != tt.want[i].Duration || got[i].From != tt.want[i].From || got[i].To != tt.want[i].To {
					t.Fatalf("stage %d = %+v, want %+v", i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestClosedLevel(t *testing.T) {
	l := scenario.Load{Model: scenario.Closed, Stages: []scenario.Stage{st(10*time.Second, 0, 10), st(10*time.Second, 10, 0)}}
	for _, tt := range []struct {
		t    time.Duration
		want int
		ok   bool
	}{{0, 0, true}, {5 * time.Second, 5, true}, {10 * time.Second, 10, true}, {19 * time.Second, 1, true}, {20 * time.Second, 0, false}} {
		got, ok := closedLevel(l, tt.t)
		if got != tt.want || ok != tt.ok {
			t.Errorf("closedLevel(%v) = %d,%v want %d,%v", tt.t, got, ok, tt.want, tt.ok)
		}
	}
}
