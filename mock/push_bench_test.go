package mock_test

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"

	"ccload/ccapi"
	"ccload/mock"
	"ccload/webhook"
)

// BenchmarkPushToReceiver is the push path end to end in one process: CHATs handed to the
// mock's handler in-process (no client network), the robot answering at once, the mock pushing
// each answer over loopback HTTP/1.1 keep-alive to a webhook.Server that routes and counts it.
// It reports callbacks/s (received by the receiver) and the whole process's CPU per callback
// (mock send handling, push client and receiver together, so an upper bound of the receiver's):
//
//	go test ./mock/ -run '^$' -bench PushToReceiver -benchtime 20000x
//
// Figures depend on the machine's load: quote them with the load average (uptime).
func BenchmarkPushToReceiver(b *testing.B) {
	rcv, err := webhook.Start(webhook.Options{Router: webhook.RouterFunc(func(*ccapi.DownlinkMessage, time.Time) webhook.Outcome { return webhook.Matched })})
	if err != nil {
		b.Fatal(err)
	}
	defer rcv.Close()
	o := quickOptions()
	o.PushURL = rcv.URL()
	s := newMock(b, o)
	c := newClient(b, s)
	const users = 256
	h := s.Handler()
	hdr := c.headers()
	send := func(user string, ct ccapi.ControlType) {
		body, _ := json.Marshal(ccapi.SendMsgReq{Channel: "WEB", Content: "hi", ControlType: ct, From: user, MediaType: ccapi.Text,
			SourceType: ccapi.SourceCustomer, To: "1011577355744904195"})
		req := httptest.NewRequest(http.MethodPost, ccapi.DefaultPaths.SendAsync, bytes.NewReader(body))
		for k, v := range hdr {
			req.Header.Set(k, v)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != 200 {
			b.Errorf("%s: HTTP %d", ct, w.Code)
		}
	}
	for u := range users {
		send("u"+strconv.Itoa(u), ccapi.Connect)
	}
	var ru0, ru1 syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru0)
	b.ResetTimer()
	start := time.Now()
	work := make(chan int, users)
	var wg sync.WaitGroup
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				send("u"+strconv.Itoa(i%users), ccapi.Chat)
			}
		}()
	}
	for i := range b.N {
		work <- i
	}
	close(work)
	wg.Wait()
	for i := 0; i < 3000 && rcv.Counts().Accepted < int64(b.N); i++ { // bounded: 30 s
		time.Sleep(10 * time.Millisecond)
	}
	el := time.Since(start)
	b.StopTimer()
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru1)
	cpu := time.Duration(syscall.TimevalToNsec(ru1.Utime)-syscall.TimevalToNsec(ru0.Utime)) +
		time.Duration(syscall.TimevalToNsec(ru1.Stime)-syscall.TimevalToNsec(ru0.Stime))
	got := rcv.Counts().Accepted
	b.ReportMetric(float64(got)/el.Seconds(), "callbacks/s")
	b.ReportMetric(float64(cpu.Microseconds())/float64(max(got, 1)), "cpu-us/callback")
	if got != int64(b.N) {
		b.Errorf("the receiver accepted %d of %d pushes; mock push stats %+v", got, b.N, *s.Stats().Push)
	}
	_ = mock.PushWorkers
}
