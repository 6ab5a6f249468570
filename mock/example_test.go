package mock_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"ccload/mock"
)

// A test starts the mock on a free loopback port, points its client at URL and
// checks afterwards what the mock received.
func ExampleNewServer() {
	opts := mock.DefaultOptions()
	opts.RobotDelay = 10 * time.Millisecond
	opts.Agents = 2
	srv, err := mock.NewServer(opts)
	if err != nil {
		panic(err)
	}
	defer srv.Close()

	// ... run the code under test against srv.URL() ...

	rsp, err := http.Get(srv.URL() + "/mock/stats")
	if err != nil {
		panic(err)
	}
	defer rsp.Body.Close()
	var st mock.Stats
	_ = json.NewDecoder(rsp.Body).Decode(&st)
	fmt.Println(rsp.StatusCode, st.Endpoints["sendAsync"], srv.Stats().Total())
	// Output: 200 0 0
}

func ExampleParseDist() {
	for _, s := range []string{"200ms", "uniform:1ms:10ms", "lognormal:20ms:200ms", "gaussian:1s"} {
		d, err := mock.ParseDist(s)
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Println(d, "mean", d.Mean().Round(time.Millisecond))
	}
	// Output:
	// 200ms mean 200ms
	// uniform:1ms:10ms mean 6ms
	// lognormal:20ms:200ms mean 33ms
	// error: mock: distribution "gaussian:1s": unknown kind "gaussian" (constant, uniform, lognormal)
}
