package main

import (
	"path/filepath"
	"testing"

	"ccload/scenario"
)

// Every scenario bench/run.sh drives must load: a goal that fails validation
// would only show as "(no result)" minutes into a benchmark.
func TestBenchScenariosLoad(t *testing.T) {
	files, err := filepath.Glob("../*.yaml")
	if err != nil || len(files) == 0 {
		t.Fatalf("no bench scenarios found (%v)", err)
	}
	for _, f := range files {
		if _, err := scenario.LoadFile(f); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}
