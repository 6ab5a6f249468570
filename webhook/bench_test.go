package webhook

import (
	"bytes"
	"io"
	"net/http"
	"sync"
	"syscall"
	"testing"
	"time"

	"ccload/ccapi"
)

// BenchmarkReceiver measures the receiver's callbacks per second and CPU per callback (user +
// system time of the whole process, the senders included, so it is an upper bound) with 32
// keep-alive senders on loopback posting one-message callbacks, as the mock pushes:
//
//	go test ./webhook/ -run '^$' -bench Receiver -benchtime 100000x
//
// Figures depend on the machine's load: quote them with the load average (uptime).
func BenchmarkReceiver(b *testing.B) {
	s, err := Start(Options{Router: RouterFunc(func(*ccapi.DownlinkMessage, time.Time) Outcome { return Matched })})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	body := []byte(`{"messages":[` + msg("c1s1", "ROBOT") + `],"timestamp":1733580000000}`)
	const senders = 32
	tr := &http.Transport{MaxIdleConnsPerHost: senders, MaxConnsPerHost: senders}
	defer tr.CloseIdleConnections()
	cl := &http.Client{Transport: tr}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	work := make(chan struct{}, senders)
	for range senders {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for range work {
				req, _ := http.NewRequest(http.MethodPost, s.URL(), bytes.NewReader(body))
				req.Header.Set("Authorization", goodAuth)
				rsp, err := cl.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, rsp.Body)
				rsp.Body.Close()
			}
		}()
	}
	for range b.N {
		work <- struct{}{}
	}
	close(work)
	wg.Wait()
	el := time.Since(start)
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
		time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	b.ReportMetric(float64(b.N)/el.Seconds(), "callbacks/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(b.N), "cpu-us/callback")
	if c := s.Counts(); c.Accepted != int64(b.N) {
		b.Errorf("accepted %d of %d callbacks", c.Accepted, b.N)
	}
}

// BenchmarkDecode measures the callback decoder alone (the fast path, body reused as the pool
// does) on the mock's one-message callback and on a two-message one with every field:
//
//	go test ./webhook/ -run '^$' -bench Decode -benchmem -count 5
func BenchmarkDecode(b *testing.B) {
	for _, c := range []struct{ name, body string }{
		{"one", `{"messages":[` + msg("c1s1", "ROBOT") + `],"timestamp":1733580000000}`},
		{"all-fields", decodeCases[1].body},
	} {
		b.Run(c.name, func(b *testing.B) {
			data := []byte(c.body)
			var bd body
			b.SetBytes(int64(len(data)))
			for b.Loop() {
				if !decodeFast(data, &bd) {
					b.Fatal("not on the fast path")
				}
			}
		})
	}
}
