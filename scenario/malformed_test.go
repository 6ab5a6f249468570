package scenario

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// head is a valid start that malformed cases append to; it is 2 lines long.
const head = "load: {rate: 1, duration: 1s}\nsessions:\n"

// TestMalformed loads broken scenarios and checks that every error is reported, at the
// exact line:column and key path a user would jump to, with a message saying what is wrong.
func TestMalformed(t *testing.T) {
	long := strings.Repeat("x", 1100)
	env := map[string]string{"CC_APP_KEY": "k", "SECRET_THAT_MUST_NOT_LEAK": "hunter2"}
	cases := []struct {
		name string
		yaml string
		// want: "line:col path: message substring", in order.
		want []string
	}{
		{"empty file", "", []string{"1:1 : empty scenario"}},
		{"only comments", "# nothing here\n", []string{"1:1 : empty scenario"}},
		{"tab indentation", head + "\t- steps: [connect]\n", []string{"3:1 : tab character in indentation"}},
		{"bad yaml syntax", "load: {rate: 1, duration: 1s\nsessions: []\n", []string{"1:1 : YAML syntax: did not find expected ',' or '}'"}},
		{"second document", head + "  - steps: [connect]\n---\nname: x\n", []string{"4:1 : a second YAML document"}},
		{"unknown top key with hint", "load: {rate: 1, duration: 1s}\nsesions:\n  - steps: [connect]\n",
			[]string{"1:1 sessions: missing", "2:1 sesions: unknown key `sesions`; did you mean `sessions`?"}},
		{"unknown session key", head + "  - stpes: [connect]\n",
			[]string{"3:5 sessions[0].steps: missing", "3:5 sessions[0].stpes: unknown key `stpes`; did you mean `steps`?"}},
		{"duplicate key", "seed: 1\nseed: 2\n" + head + "  - steps: [connect]\n", []string{"2:1 seed: duplicate key"}},
		{"wrong type seed", "seed: abc\n" + head + "  - steps: [connect]\n", []string{"1:7 seed: \"abc\" is not an integer"}},
		{"wrong type sessions", "load: {rate: 1, duration: 1s}\nsessions: faq\n", []string{"2:11 sessions: expected a list"}},
		{"empty sessions", "load: {rate: 1, duration: 1s}\nsessions: []\n", []string{"2:11 sessions: is empty"}},
		{"weight zero", head + "  - weight: 0\n    steps: [connect]\n", []string{"3:13 sessions[0].weight: must be greater than 0"}},
		{"weight negative", head + "  - weight: -2\n    steps: [connect]\n", []string{"3:13 sessions[0].weight: must be greater than 0"}},
		{"duplicate session name", head + "  - {name: a, steps: [connect]}\n  - {name: a, steps: [connect]}\n", []string{"4:12 sessions[1].name: duplicate session name"}},
		{"unknown step with hint", head + "  - steps: [connect, chatt]\n", []string{"3:22 sessions[0].steps[1]: unknown step `chatt`; did you mean `chat`?"}},
		{"two steps in one item", head + "  - steps:\n      - connect\n      - {chat: hi, think: 1s}\n", []string{"5:20 sessions[0].steps[1].think: one step per list item"}},
		{"chat before connect", head + "  - steps: [{chat: hi}, connect]\n", []string{"3:13 sessions[0].steps[0]: `chat` before `connect`"}},
		{"chat after disconnect", head + "  - steps: [connect, disconnect, {chat: hi}]\n", []string{"3:34 sessions[0].steps[2]: `chat` after `disconnect`"}},
		{"await_agent without transfer", head + "  - steps: [connect, await_agent]\n", []string{"3:22 sessions[0].steps[1]: `await_agent` needs a `transfer`"}},
		{"await_reply without polling", head + "  - poll: false\n    steps: [connect, await_reply]\n", []string{"4:22 sessions[0].steps[1]: `await_reply` watches the poll"}},
		{"poll not boolean", head + "  - poll: yes\n    steps: [connect]\n", []string{"3:11 sessions[0].poll: \"yes\" is not a boolean"}},
		{"queue_interval too short", head + "  - queue_interval: 1ms\n    steps: [connect]\n", []string{"3:21 sessions[0].queue_interval: must be at least 10ms"}},
		{"on_platform_end typo", head + "  - on_platform_end: reconect\n    steps: [connect]\n", []string{"3:22 sessions[0].on_platform_end: \"reconect\" is not allowed; did you mean `reconnect`?"}},
		{"repeat without count", head + "  - steps:\n      - connect\n      - repeat: {steps: [{chat: hi}]}\n", []string{"5:17 sessions[0].steps[1].repeat.count: missing"}},
		{"model typo", "load: {model: opne, rate: 1, duration: 1s}\nsessions:\n  - steps: [connect]\n", []string{"1:15 load.model: \"opne\" is not allowed; did you mean `open`?"}},
		{"duration without unit", "load: {rate: 1, duration: 30}\nsessions:\n  - steps: [connect]\n", []string{"1:27 load.duration: \"30\" has no unit"}},
		{"stages empty", "load: {stages: []}\nsessions:\n  - steps: [connect]\n", []string{"1:16 load.stages: is empty"}},
		{"stage zero duration", "load:\n  stages:\n    - {duration: 0s, rate: 1}\n    - {duration: 5s, rate: 1}\nsessions:\n  - steps: [connect]\n", []string{"3:18 load.stages[0].duration: must be greater than 0"}},
		{"stage negative rate", "load:\n  stages: [{duration: 5s, rate: -1}]\nsessions:\n  - steps: [connect]\n", []string{"2:33 load.stages[0].rate: must not be negative"}},
		{"stage hold and ramp", "load:\n  stages: [{duration: 5s, rate: 1, to: 3}]\nsessions:\n  - steps: [connect]\n", []string{"2:27 load.stages[0].rate: write rate (hold) or from/to (ramp), not both"}},
		{"closed customers fractional", "load: {model: closed, customers: 2.5, duration: 5s}\nsessions:\n  - steps: [connect]\n", []string{"1:34 load.customers: a number of customers is whole"}},
		{"closed with arrivals", "load: {model: closed, arrivals: poisson, customers: 2, duration: 5s}\nsessions:\n  - steps: [connect]\n", []string{"1:23 load.arrivals: applies to the open model only"}},
		{"all stages zero", "load: {rate: 0, duration: 5s}\nsessions:\n  - steps: [connect]\n", []string{"1:7 load: every stage is at 0 rate"}},
		{"lognormal p90 below median", head + "  - steps: [connect, {think: {lognormal: {median: 2s, p90: 1s}}}]\n", []string{"3:60 sessions[0].steps[1].think.lognormal.p90: lognormal p90 must be greater than the median"}},
		{"lognormal median zero", head + "  - steps: [connect, {think: {lognormal: {median: 0s, p90: 1s}}}]\n", []string{"3:51 sessions[0].steps[1].think.lognormal.median: lognormal median must be greater than 0"}},
		{"uniform min above max", head + "  - steps: [connect, {think: {uniform: {min: 3s, max: 1s}}}]\n", []string{"3:55 sessions[0].steps[1].think.uniform.max: uniform max must be >= min"}},
		{"bounds min above max", head + "  - steps: [connect, {think: {exponential: {mean: 1s}, min: 5s, max: 1s}}]\n", []string{"3:70 sessions[0].steps[1].think.max: max must be >= min"}},
		{"normal negative stddev", head + "  - steps: [connect, {think: {normal: {mean: 2s, stddev: -1s}}}]\n", []string{"3:58 sessions[0].steps[1].think.normal.stddev: must not be negative"}},
		{"exponential mean zero", head + "  - steps: [connect, {think: {exponential: {mean: 0s}}}]\n", []string{"3:51 sessions[0].steps[1].think.exponential.mean: exponential mean must be greater than 0"}},
		{"two distributions", head + "  - steps: [connect, {think: {uniform: {min: 1s, max: 2s}, normal: {mean: 1s, stddev: 0s}}}]\n", []string{"3:60 sessions[0].steps[1].think.normal: one distribution per value"}},
		{"think without unit", head + "  - steps: [connect, {think: 2}]\n", []string{"3:30 sessions[0].steps[1].think: \"2\" has no unit"}},
		{"missing env var", "target: {url: \"http://x.example\"}\nauth: {app_key: \"${CC_APP_KEY}\", app_secret: \"${CC_APP_SECRET}\"}\nchannel: {to: \"1\"}\n" + head + "  - steps: [connect]\n",
			[]string{"2:46 auth.app_secret: environment variable CC_APP_SECRET is not set"}},
		{"token lifetime too long", "auth: {token_lifetime: 2h}\n" + head + "  - steps: [connect]\n", []string{"1:24 auth.token_lifetime: may be at most 3600s"}},
		{"secret with access token", "auth: {app_key: k, app_secret: \"${SECRET_THAT_MUST_NOT_LEAK}\", access_token: \"${SECRET_THAT_MUST_NOT_LEAK}\"}\n" + head + "  - steps: [connect]\n",
			[]string{"1:64 auth.access_token: set either access_token (static) or app_secret"}},
		{"target without auth", "target: {url: \"https://cc.example.com\"}\nchannel: {to: \"1\"}\n" + head + "  - steps: [connect]\n", []string{"1:1 auth: missing"}},
		{"target bad scheme", "target: {url: \"ftp://cc.example.com\"}\n" + head + "  - steps: [connect]\n", []string{"1:15 target.url: needs http:// or https://"}},
		{"target without channel to", "target: {url: \"https://cc.example.com\"}\nauth: {app_key: k, access_token: t}\n" + head + "  - steps: [connect]\n", []string{"1:1 channel.to: missing"}},
		{"template unknown variable", head + "  - steps: [connect, {chat: \"hi {{sesion}}\"}]\n", []string{"3:29 sessions[0].steps[1].chat: unknown variable or function \"sesion\" in {{sesion}}; did you mean `session`?"}},
		{"template unclosed", head + "  - steps: [connect, {chat: \"hi {{session\"}]\n", []string{"3:29 sessions[0].steps[1].chat: unclosed {{"}},
		{"template bad arity", head + "  - steps: [connect, {chat: \"{{rand_int 1}}\"}]\n", []string{"3:29 sessions[0].steps[1].chat: rand_int takes 2 arguments"}},
		{"template unknown feeder", head + "  - steps: [connect, {chat: \"{{data.users.name}}\"}]\n", []string{"3:29 sessions[0].steps[1].chat: unknown feeder \"users\""}},
		{"template unknown column", "data: {users: {csv: users.csv}}\n" + head + "  - steps: [connect, {chat: \"{{data.users.nmae}}\"}]\n",
			[]string{"4:29 sessions[0].steps[1].chat: feeder \"users\" has no column \"nmae\" in {{data.users.nmae}}; did you mean `name`?"}},
		{"template user in user_id", "channel: {user_id: \"{{user}}x\"}\n" + head + "  - steps: [connect]\n", []string{"1:20 channel.user_id: {{user}} cannot be used in user_id"}},
		{"missing data file", "data: {users: {csv: nope.csv}}\n" + head + "  - steps: [connect]\n", []string{"1:21 data.users.csv: cannot read \"nope.csv\": no such file or directory"}},
		{"csv wrong field count", "data: {users: {csv: badfields.csv}}\n" + head + "  - steps: [connect]\n", []string{"1:21 data.users.csv: badfields.csv: line 3: wrong number of fields"}},
		{"csv empty", "data: {users: {csv: empty.csv}}\n" + head + "  - steps: [connect]\n", []string{"1:21 data.users.csv: empty.csv: empty file"}},
		{"wrap without unique", "data: {users: {csv: users.csv, wrap: true}}\n" + head + "  - steps: [connect]\n", []string{"1:32 data.users.wrap: applies to order: unique only"}},
		{"text over 1 KB", head + "  - steps:\n      - connect\n      - chat: " + long + "\n", []string{"5:15 sessions[0].steps[1].chat: 1100 bytes, TEXT content must be at most 1024 bytes"}},
		{"message_id comma and length", head + "  - steps: [connect, {chat: {text: hi, message_id: \"a,bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb\"}}]\n",
			[]string{"3:52 sessions[0].steps[1].chat.message_id: 41 characters, must be at most 32", "3:52 sessions[0].steps[1].chat.message_id: contains a comma"}},
		{"user_id too long", "channel: {user_id: \"customer-with-a-very-long-id\"}\n" + head + "  - steps: [connect]\n", []string{"1:20 channel.user_id: 28 characters, must be 1 to 24"}},
		{"avatar over 1024", head + "  - steps: [connect, {chat: {text: hi, sender_avatar: " + strings.Repeat("a", 1030) + "}}]\n", []string{"3:55 sessions[0].steps[1].chat.sender_avatar: 1030 characters, must be at most 1024"}},
		{"chat empty text", head + "  - steps: [connect, {chat: \"\"}]\n", []string{"3:29 sessions[0].steps[1].chat: empty, required for controlType CHAT"}},
		{"channel empty", "channel: {channel: \"\"}\n" + head + "  - steps: [connect]\n", []string{"1:20 channel.channel: missing, required"}},
		{"locate needs send", head + "  - steps: [connect, {chat: {text: \"1,2\", media: LOCATE}}]\n", []string{"3:50 sessions[0].steps[1].chat.media: LOCATE is accepted only by /send"}},
		{"source type not customer", head + "  - channel: {source_type: AGENT}\n    steps: [connect]\n", []string{"3:28 sessions[0].channel.source_type: \"AGENT\" is not allowed"}},
		{"trans_data not json", head + "  - steps: [{connect: {trans_data: \"{oops\"}}]\n", []string{"3:36 sessions[0].steps[0].connect.trans_data: not valid JSON"}},
		{"card without link", head + "  - steps: [connect, {card: {title: Sale}}]\n", []string{"3:29 sessions[0].steps[1].card: WEBCARD content has neither redirectUrl nor mediaFileId"}},
		{"card bad media_file_type", head + "  - steps: [connect, {card: {redirect_url: \"https://x\", media_file_type: gif}}]\n", []string{"3:29 sessions[0].steps[1].card: WEBCARD mediaFileType \"gif\" must be one of img, img/png, img/jpg"}},
		{"upload bad extension", "data: {}\n" + head + "  - steps: [connect, {chat: {media: FILE, file: note.exe}}]\n", []string{"4:49 sessions[0].steps[1].chat.file: uploadFileStream accepts"}},
		{"chat media typo", head + "  - steps: [connect, {chat: {text: x, media: IMAGES}}]\n", []string{"3:46 sessions[0].steps[1].chat.media: \"IMAGES\" is not allowed; did you mean `IMAGE`?"}},
		{"threshold unknown metric", head + "  - steps: [connect]\nthresholds:\n  - {metric: respone_time.p99, max: 1s}\n", []string{"5:14 thresholds[0].metric: unknown metric \"respone_time.p99\"; did you mean `response_time.p99`?"}},
		{"threshold missing stat", head + "  - steps: [connect]\nthresholds:\n  - {metric: response_time, max: 1s}\n", []string{"5:14 thresholds[0].metric: response_time needs a statistic"}},
		{"threshold unknown group", head + "  - steps: [connect]\nthresholds:\n  - {metric: error_rate, group: step:ask, max: 1%}\n", []string{"5:33 thresholds[0].group: group \"step:ask\" does not exist"}},
		{"threshold unused endpoint", head + "  - steps: [connect]\nthresholds:\n  - {metric: error_rate, group: endpoint:uploadFileStream, max: 1%}\n", []string{"5:33 thresholds[0].group: group \"endpoint:uploadFileStream\" does not exist"}},
		{"threshold without limit", head + "  - steps: [connect]\nthresholds:\n  - {metric: error_rate}\n", []string{"5:5 thresholds[0]: needs a limit"}},
		{"threshold share over 100%", head + "  - steps: [connect]\nthresholds:\n  - {metric: error_rate, max: 150%}\n", []string{"5:31 thresholds[0].max: \"150%\" is not a share"}},
		{"threshold latency without unit", head + "  - steps: [connect]\nthresholds:\n  - {metric: response_time.p99, max: 800}\n", []string{"5:38 thresholds[0].max: \"800\" has no unit"}},
		{"threshold code missing", head + "  - steps: [connect]\nthresholds:\n  - {metric: result_code_share, min: 99%}\n", []string{"5:5 thresholds[0].code: missing"}},
		{"threshold over zero", head + "  - steps: [connect]\nthresholds:\n  - {metric: error_rate, max: 1%, over: 0s}\n", []string{"5:41 thresholds[0].over: must be greater than 0"}},
		{"threshold code share over on a group", head + "  - steps: [connect]\nthresholds:\n  - {metric: result_code_share, code: \"12\", group: CONNECT, max: 1%, over: 30s}\n", []string{"5:70 thresholds[0].over: per-group windows carry no resultCodes"}},
		{"threshold session metric per group", head + "  - steps: [connect]\nthresholds:\n  - {metric: reply_latency.p95, group: CONNECT, max: 1s}\n", []string{"5:40 thresholds[0].group: reply_latency.p95 is measured for the whole run only"}},
		{"compare bad limit", head + "  - steps: [connect]\ncompare: {p99: ten}\n", []string{"4:16 compare.p99: \"ten\" is not a limit"}},
		{"compare unknown metric", head + "  - steps: [connect]\ncompare: {p98: 10%, rps: 1pp, error_rate: 5ms, p99@step:nope: 5%}\n",
			[]string{"4:11 compare.p98: unknown metric `p98`; did you mean `p90`?", "4:26 compare.rps: \"1pp\" percentage points apply to error_rate and code shares",
				"4:43 compare.error_rate: \"5ms\" a duration limit applies to latencies only", "4:48 compare.p99@step:nope: group \"step:nope\" does not exist"}},
		{"mock bad latency", "mock: {latency: \"uniform:5ms\"}\n" + head + "  - steps: [connect]\n", []string{"1:17 mock.latency: \"uniform:5ms\" is not a duration distribution"}},
		{"many errors at once, sorted", "seed: x\nload: {rate: -1, duration: 1s}\nsessions:\n  - weight: 0\n    steps: [chatt]\n",
			[]string{"1:7 seed: \"x\" is not an integer", "2:14 load.rate: must not be negative", "4:13 sessions[0].weight: must be greater than 0", "5:13 sessions[0].steps[0]: unknown step `chatt`"}},
	}
	if len(cases) < 30 {
		t.Fatalf("only %d cases", len(cases))
	}
	lookup := func(k string) (string, bool) { v, ok := env[k]; return v, ok }
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			sc, err := Parse("bad.yaml", []byte(c.yaml), "testdata", lookup)
			if err == nil {
				t.Fatalf("loaded without error: %+v", sc)
			}
			var es Errors
			if !errors.As(err, &es) {
				t.Fatalf("error is %T, want Errors: %v", err, err)
			}
			if strings.Contains(err.Error(), "hunter2") {
				t.Errorf("an error prints a secret's value: %v", err)
			}
			var got []string
			for _, e := range es {
				got = append(got, fmt.Sprintf("%d:%d %s: %s", e.Line, e.Col, e.Path, e.Msg))
				if e.File != "bad.yaml" {
					t.Errorf("File = %q", e.File)
				}
			}
			if len(got) != len(c.want) {
				t.Fatalf("got %d errors, want %d:\n%s", len(got), len(c.want), strings.Join(got, "\n"))
			}
			for i, w := range c.want {
				pos, msg, _ := strings.Cut(w, ": ")
				if !strings.HasPrefix(got[i], pos+": ") || !strings.Contains(got[i], msg) {
					t.Errorf("error %d:\n got  %s\n want %s", i, got[i], w)
				}
			}
		})
	}
}

// TestErrorFormat checks the one-line-per-error format users see and grep.
func TestErrorFormat(t *testing.T) {
	_, err := Parse("s.yaml", []byte("seed: x\nload: {rate: 1, duration: 1s}\nsessions: [{steps: [connect]}]\n"), ".", nil)
	want := "s.yaml:1:7: seed: \"x\" is not an integer"
	if err == nil || err.Error() != want {
		t.Fatalf("got %v, want %s", err, want)
	}
}
