package scenario_test

import (
	"fmt"
	"os"

	"ccload/scenario"
)

// ExampleParse loads a scenario from bytes and prints its plan.
func ExampleParse() {
	src := []byte(`
name: hello
load: {rate: 2, duration: 10s}
sessions:
  - steps: [connect, {chat: "hi {{customer}}"}, {await_reply: 5s}, disconnect]
`)
	sc, err := scenario.Parse("hello.yaml", src, ".", nil)
	if err != nil {
		fmt.Println(err)
		return
	}
	sc.Plan().Write(os.Stdout)
	// Output:
	//   hello: open model for 10s against the embedded mock, about 20 sessions
	//   peak: 2 sessions/s, ~2 concurrent customers -> ~10 requests/s
	//
	//   SESSION   SHARE  DURATION  ENDPOINT    CONTROL     PER SESSION
	//   session1  100%   1s        applyToken              1
	//                              sendAsync   CONNECT     1
	//                              sendAsync   CHAT        1
	//                              sendAsync   DISCONNECT  1
	//                              poll                    1
	//                              total                   5
}

// ExampleParse_errors shows how problems are reported: all at once, by position.
func ExampleParse_errors() {
	src := []byte("load: {rate: 2, duration: 10}\nsessions:\n  - steps: [conect]\n")
	_, err := scenario.Parse("bad.yaml", src, ".", nil)
	fmt.Println(err)
	// Output:
	// bad.yaml:1:27: load.duration: "10" has no unit; write a duration such as 10s or 10ms
	// bad.yaml:3:13: sessions[0].steps[0]: unknown step `conect`; did you mean `connect`?; steps: connect, input, chat, card, transfer, read, disconnect, think, repeat, await_reply, await_agent, upload
}

// ExampleTemplate_Append renders a compiled template into a reused buffer.
func ExampleTemplate_Append() {
	t, err := scenario.CompileTemplate(`order {{data.users.order}} from {{user}} ({{pick "web" "app"}})`,
		[]*scenario.Feeder{{Name: "users", Columns: []string{"order"}}})
	if err != nil {
		fmt.Println(err)
		return
	}
	env := &scenario.Env{UserID: "c7s1a", Rows: [][]string{{"A-1001"}}}
	buf := t.Append(nil, env)
	fmt.Println(string(buf[:len("order A-1001 from c7s1a")]))
	// Output: order A-1001 from c7s1a
}
