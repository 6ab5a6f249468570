package runner_test

import (
	"context"
	"fmt"
	"log"

	"ccload/mock"
	"ccload/runner"
	"ccload/scenario"
)

// Run a small open-model scenario against the embedded mock and read the report.
func ExampleRun() {
	srv, err := mock.NewServer(mock.DefaultOptions())
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()

	sc, err := scenario.Parse("example.yaml", []byte(`
auth: {app_key: demo, app_secret: demo}
load: {model: open, arrivals: uniform, rate: 5, duration: 1s}
sessions:
  - name: hello
    poll: {interval: 100ms}
    steps: [connect, {chat: "hello"}, {await_reply: 5s}, disconnect]
`), ".", nil)
	if err != nil {
		log.Fatal(err)
	}
	rep, err := runner.Run(context.Background(), runner.Config{Scenario: sc, BaseURL: srv.URL(), Seed: 1})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Printf("arrivals %d, completed %d, stop reason %s\n", rep.Sessions.Arrivals, rep.Sessions.Completed, rep.StopReason)
	// Output: arrivals 5, completed 5, stop reason completed
}
