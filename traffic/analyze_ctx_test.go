package traffic

import (
	"context"
	"errors"
	"io"
	"strings"
	"testing"
)

// TestAnalyzeContext: a log read to its end is analysed; a read blocked on a pipe whose writer
// sends nothing ends when ctx does, with ctx's error and no analysis.
func TestAnalyzeContext(t *testing.T) {
	log := `{"controlType":"CONNECT","from":"c1","mediaType":"TEXT","content":"","received_ms":1000}
{"controlType":"DISCONNECT","from":"c1","mediaType":"TEXT","content":"","received_ms":2000}
`
	a, st, err := AnalyzeContext(context.Background(), io.NopCloser(strings.NewReader(log)), DefaultOptions(), AnalyzeOptions{})
	if err != nil || a == nil || st.Sessions != 1 || st.Requests != 2 {
		t.Fatalf("a whole log: analysis %v, %d sessions, %d requests, %v; want 1 session of 2 requests", a != nil, st.Sessions, st.Requests, err)
	}

	pr, pw := io.Pipe()
	defer pw.Close()
	ctx, cancel := context.WithCancel(context.Background())
	go func() {
		pw.Write([]byte(strings.SplitAfter(log, "\n")[0])) // one line, then nothing: the reader waits
		cancel()
	}()
	a, _, err = AnalyzeContext(ctx, pr, DefaultOptions(), AnalyzeOptions{})
	if !errors.Is(err, context.Canceled) || a != nil {
		t.Errorf("a read stopped by ctx: analysis %v, error %v; want none and context.Canceled", a != nil, err)
	}
}
