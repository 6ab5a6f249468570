package scenario

import (
	"strings"
	"testing"
)

// validate refuses what would fail at run time: a template turns off only its own field's check
// (the literal fields of a card beside a templated one are checked), and a threshold on a named
// step that sends no request (it would fail with "no data") is refused at its position.
func TestValidateRefusesWhatWillFail(t *testing.T) {
	const head = "name: r\nload: {stages: [{duration: 1s, rate: 1}]}\nsessions:\n  - name: s\n    steps:\n      - connect\n"
	for _, c := range []struct {
		name, yaml, want string
	}{
		{"a literal media_file_type beside a templated redirect_url",
			head + "      - card: {title: \"Hi {{seq}}\", redirect_url: \"https://shop.example/{{seq}}\", media_file_type: png}\n",
			`s.yaml:7:100: sessions[0].steps[1].card.media_file_type: WEBCARD mediaFileType "png" must be one of img`},
		{"a templated card with neither redirect_url nor media_file_id",
			head + "      - card: {title: \"Hi {{seq}}\"}\n",
			"s.yaml:7:15: sessions[0].steps[1].card: WEBCARD content has neither redirectUrl nor mediaFileId"},
		{"a threshold on a named await_agent",
			head + "      - transfer\n      - {name: wait, await_agent: 3s}\nthresholds:\n  - {metric: response_time.p99, group: \"step:wait\", max: 1s}\n",
			`s.yaml:10:40: thresholds[0].group: step "wait" (await_agent) sends no request of its own, so step:wait never has data; gate on time_to_agent.p95`},
		{"a bare group naming a think step",
			head + "      - {name: pause, think: 1s}\nthresholds:\n  - {metric: error_rate, group: pause, max: 1%}\n",
			`s.yaml:9:33: thresholds[0].group: step "pause" (think) sends no request of its own`},
	} {
		_, err := Parse("s.yaml", []byte(c.yaml), ".", nil)
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err %v; want %q", c.name, err, c.want)
		}
	}
	// What stays valid: a templated card whose literal fields are right, and a threshold on a named step that sends.
	ok := head + "      - {name: offer, card: {title: \"Hi {{seq}}\", redirect_url: \"https://shop.example/{{seq}}\", media_file_type: img/png}}\n" +
		"thresholds:\n  - {metric: response_time.p99, group: \"step:offer\", max: 1s}\n"
	if _, err := Parse("s.yaml", []byte(ok), ".", nil); err != nil {
		t.Errorf("a valid templated card with a threshold on its step: %v", err)
	}
}
