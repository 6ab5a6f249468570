package scenario

import (
	"math/rand/v2"
	"strings"
	"testing"
)

// An empirical distribution draws only its listed values, each about equally often, and
// bad lists are errors at the value's position.
func TestEmpiricalDist(t *testing.T) {
	sc := mustParse(t, head+`  - steps:
      - connect
      - think: {empirical: [100ms, 200ms, 300ms, 1s]}
      - repeat:
          count: {empirical: [0, 2]}
          steps: [{chat: hi}]
`)
	d := sc.Sessions[0].Steps[1].Think
	if d.Kind != Empirical || len(d.Values) != 4 || d.Values[3] != 1 {
		t.Fatalf("think %+v", d)
	}
	seen := map[float64]int{}
	rng := rand.New(rand.NewPCG(1, 2))
	for range 4000 {
		seen[d.Sample(rng)]++
	}
	for _, v := range d.Values {
		if n := seen[v]; n < 800 || n > 1200 {
			t.Errorf("value %v drawn %d times of 4000, want about 1000", v, n)
		}
	}
	if len(seen) != 4 {
		t.Errorf("drew %d distinct values, want the 4 listed: %v", len(seen), seen)
	}
	if m := d.Mean(); m < 0.399 || m > 0.401 {
		t.Errorf("mean %v, want 0.4", m)
	}
	if c := sc.Sessions[0].Steps[2].Count; c.Kind != Empirical || c.Values[1] != 2 {
		t.Errorf("count %+v", c)
	}
	for src, want := range map[string]string{
		"{empirical: []}":           "empirical needs 1 to 10000 values",
		"{empirical: 3s}":           "expected a list",
		"{empirical: [1s, banana]}": "steps[1].think.empirical[1]",
	} {
		_, err := Parse("f.yaml", []byte(head+"  - steps: [connect, {think: "+src+"}]\n"), "", nil)
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: %v, want %q", src, err, want)
		}
	}
}
