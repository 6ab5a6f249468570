package traffic

import (
	"context"
	"io"
)

// AnalyzeContext reads the log in rc with o and analyses its sessions with ao, until the log
// ends or ctx does. When ctx ends first it closes rc, which unblocks a read waiting on a pipe
// whose writer sends nothing, and returns ctx's error at once (the reader then ends on its
// own); the caller still closes rc.
func AnalyzeContext(ctx context.Context, rc io.ReadCloser, o Options, ao AnalyzeOptions) (*Analysis, Stats, error) {
	type result struct {
		a   *Analysis
		st  Stats
		err error
	}
	done := make(chan result, 1)
	go func() {
		a := NewAnalysis(ao)
		st, err := Read(rc, o, a.Add)
		done <- result{a, st, err}
	}()
	select {
	case r := <-done:
		if err := ctx.Err(); err != nil {
			return nil, r.st, err
		}
		return r.a, r.st, r.err
	case <-ctx.Done():
		rc.Close()
		return nil, Stats{}, ctx.Err()
	}
}
