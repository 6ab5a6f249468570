package traffic

import (
	"bytes"
	"fmt"
	"testing"
	"time"
)

// benchLog is a synthetic log of n sessions of 6 requests each, in time order.
func benchLog(n int) []byte {
	var b bytes.Buffer
	for i := range n {
		t := int64(1_796_000_000_000 + i*20)
		for k, ct := range []string{"CONNECT", "CHAT", "CHAT", "INPUT", "CHAT", "DISCONNECT"} {
			fmt.Fprintf(&b, `{"channel":"WEB","content":"how do I reset my password?","controlType":%q,"from":"u%d","mediaType":"TEXT","sourceType":"CUSTOMER","to":"1011577355744904195","received_ms":%d}`+"\n",
				ct, i, t+int64(k*(10+i%30)))
		}
	}
	return b.Bytes()
}

// BenchmarkFit reads, sessionizes, analyses and fits a log of 50,000 sessions (300,000
// requests, about 57 MB); MB/s is of log text.
func BenchmarkFit(b *testing.B) {
	log := benchLog(50_000)
	b.SetBytes(int64(len(log)))
	b.ReportAllocs()
	for b.Loop() {
		a := NewAnalysis(AnalyzeOptions{Bucket: time.Minute})
		st, err := Read(bytes.NewReader(log), DefaultOptions(), a.Add)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := FitScenario(a, st, FitOptions{Resolution: time.Millisecond}); err != nil {
			b.Fatal(err)
		}
	}
}
