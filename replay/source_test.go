package replay

import (
	"context"
	"fmt"
	"io"
	"slices"
	"strings"
	"testing"
	"testing/synctest"

	"ccload/report"
	"ccload/traffic"
)

// A log whose input stays open (a pipe nobody closes) keeps its reader blocked after the run
// ends: Finish waits 2 s for it, then says so in report.json (replay.error, a warning, the read
// not complete) and returns the reason, on which ccload replay exits 3: an unfinished read never
// looks like a whole log played. A log read to its end finishes with no reason. In a synctest
// bubble, so the 2 s are fake time.
func TestFinishSaysTheReaderDidNotStop(t *testing.T) {
	head := testHead(t)
	ro := traffic.ReplayOptions{Speed: 1, Scale: 1}
	var log strings.Builder
	for i := range 3 {
		fmt.Fprintf(&log, `{"controlType":"CONNECT","from":"u%d","mediaType":"TEXT","content":"","received_ms":%d}`+"\n", i, 1_796_000_000_000+int64(i)*1000)
	}
	synctest.Test(t, func(t *testing.T) {
		pr, pw := io.Pipe()
		defer pw.Close()
		go io.WriteString(pw, log.String()) // then the pipe stays open: the reader blocks on it
		src := Start(pr, "-", traffic.DefaultOptions(), ro, head)
		synctest.Wait() // the reader has read all there is and waits on the pipe for more
		rep := &report.Report{}
		reason := src.Finish(rep, "-", ro)
		x := rep.Replay
		if reason != ErrReaderStuck || x == nil || x.Error != ErrReaderStuck || x.Complete {
			t.Errorf("Finish with a blocked reader: reason %q, replay section %+v; want %q, not complete", reason, x, ErrReaderStuck)
		}
		if !slices.Contains(rep.Warnings, "replay: "+ErrReaderStuck) {
			t.Errorf("warnings %q: want one saying the reader did not stop", rep.Warnings)
		}
	})

	src := Start(strings.NewReader(log.String()), "log", traffic.DefaultOptions(), ro, head)
	n := 0
	for _, ok := src.Next(context.Background()); ok; _, ok = src.Next(context.Background()) {
		n++
	}
	rep := &report.Report{}
	if reason := src.Finish(rep, "log", ro); reason != "" || !rep.Replay.Complete || rep.Replay.Arrivals != 3 || n != 3 || len(rep.Warnings) != 0 {
		t.Errorf("Finish after the whole log: reason %q, section %+v, %d arrivals taken, warnings %q; want none, complete, 3", reason, rep.Replay, n, rep.Warnings)
	}
}
