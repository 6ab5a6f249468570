package scenario

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

const filesHead = "load: {rate: 1, duration: 1s}\n"

// Devices, FIFOs and symlinks to them are refused with the key's position instead of hanging the loader.
func TestNonRegularFilesRefused(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "fifo")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip("no FIFOs here:", err)
	}
	if err := os.Symlink("/dev/zero", filepath.Join(dir, "zero.png")); err != nil {
		t.Fatal(err)
	}
	cases := []struct{ name, yaml, want string }{
		{"feeder lines /dev/zero", "data:\n  f: {lines: /dev/zero}\n" + filesHead + "sessions:\n  - steps: [connect]\n", "data.f.lines: cannot read"},
		{"feeder csv FIFO", "data:\n  f: {csv: fifo}\n" + filesHead + "sessions:\n  - steps: [connect]\n", "a FIFO"},
		{"upload symlink to a device", filesHead + "sessions:\n  - steps: [connect, {chat: {media: IMAGE, file: zero.png}}]\n", "a character device"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			p := filepath.Join(dir, "s.yaml")
			if err := os.WriteFile(p, []byte(c.yaml), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := LoadFile(p)
			if err == nil || !strings.Contains(err.Error(), c.want) || !strings.Contains(err.Error(), "not a regular file") {
				t.Fatalf("err = %v; want %q and \"not a regular file\"", err, c.want)
			}
		})
	}
	if _, err := LoadFile(fifo); err == nil || !strings.Contains(err.Error(), "a FIFO") {
		t.Fatalf("FIFO as the scenario: err = %v", err)
	}
}

// A file past its limit is refused while reading.
func TestReadRegularLimit(t *testing.T) {
	p := filepath.Join(t.TempDir(), "big")
	if err := os.WriteFile(p, make([]byte, 101), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := readRegular(p, 100); err == nil || !strings.Contains(err.Error(), "larger than 100 bytes") {
		t.Fatalf("err = %v", err)
	}
	if b, err := readRegular(p, 101); err != nil || len(b) != 101 {
		t.Fatalf("at the limit: %d bytes, %v", len(b), err)
	}
}

// A NUL byte or invalid UTF-8 is reported where it is, not at 1:1.
func TestBadBytesPosition(t *testing.T) {
	pre := strings.Repeat("# comment\n", 10) // the bad byte is on line 11
	for name, bad := range map[string]string{"NUL": "name: a\x00b\n", "invalid UTF-8": "name: aé\xffb\n"} {
		_, err := Parse("s.yaml", []byte(pre+bad+filesHead+"sessions:\n  - steps: [connect]\n"), ".", nil)
		want := "s.yaml:11:8" // "name: a" is 7 characters
		if name != "NUL" {
			want = "s.yaml:11:9" // é is one character
		}
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%s: err = %v; want %s", name, err, want)
		}
	}
}

// validate (the loader) refuses a target URL that run's client would refuse, with a position.
func TestTargetURLUserInfoAndQuery(t *testing.T) {
	for _, u := range []string{"https://user:pw@cc.example.com", "https://cc.example.com/?token=x", "https://cc.example.com/#f"} {
		y := "target: {url: \"" + u + "\"}\nauth: {app_key: k, access_token: t}\nchannel: {to: \"1\"}\n" + filesHead + "sessions:\n  - steps: [connect]\n"
		_, err := Parse("s.yaml", []byte(y), ".", nil)
		if err == nil || !strings.Contains(err.Error(), "s.yaml:1:15: target.url") {
			t.Errorf("%s: err = %v", u, err)
		}
		if err != nil && (strings.Contains(err.Error(), "pw") || strings.Contains(err.Error(), "token=x")) {
			t.Errorf("%s: the error shows the secret: %v", u, err)
		}
	}
}

// A URL that does not even parse, or has a bad scheme, is refused with its position and without
// its password (url.Parse's own error repeats the whole URL).
func TestTargetURLErrorsHideThePassword(t *testing.T) {
	for _, u := range []string{"http://user:PW0LEAK@127.0.0.1:bad/", "http://user:PW0LEAK@[::1/", "ftp://user:PW0LEAK@h.example/"} {
		y := "target: {url: \"" + u + "\"}\nauth: {app_key: k, access_token: t}\nchannel: {to: \"1\"}\n" + filesHead + "sessions:\n  - steps: [connect]\n"
		_, err := Parse("s.yaml", []byte(y), ".", nil)
		if err == nil || !strings.Contains(err.Error(), "s.yaml:1:15: target.url") || strings.Contains(err.Error(), "PW0LEAK") {
			t.Errorf("%s: err = %v, want a target.url error at 1:15 without the password", u, err)
		}
	}
}

// target.user_agent is the HTTP header's value: kept as written; a value no header can carry is
// refused at its position.
func TestTargetUserAgent(t *testing.T) {
	head := "auth: {app_key: k, access_token: t}\nchannel: {to: \"1\"}\n" + filesHead + "sessions:\n  - steps: [connect]\n"
	sc, err := Parse("s.yaml", []byte("target: {url: \"http://127.0.0.1:1\", user_agent: \"soak-probe/2 (team)\"}\n"+head), ".", nil)
	if err != nil {
		t.Fatal(err)
	}
	if sc.Target.UserAgent != "soak-probe/2 (team)" {
		t.Errorf("Target.UserAgent = %q", sc.Target.UserAgent)
	}
	for _, ua := range []string{`"a\r\nX-Injected: 1"`, `"tab\u0007bell"`, `"` + strings.Repeat("u", 513) + `"`} {
		_, err := Parse("s.yaml", []byte("target: {url: \"http://127.0.0.1:1\", user_agent: "+ua+"}\n"+head), ".", nil)
		if err == nil || !strings.Contains(err.Error(), "s.yaml:1:49: target.user_agent") {
			t.Errorf("user_agent %.30s: err = %v, want s.yaml:1:49: target.user_agent", ua, err)
		}
	}
}

// A literal secret never survives into Scenario.Text; ${VAR} references are kept.
func TestRedact(t *testing.T) {
	in := "auth:\n  app_key: LITKEY1\n  app_secret: \"LIT SECRET2\"\n  access_token: ${TOK}\n" +
		"channel: {to: \"1\", ccmessaging_token: 'LITCC3'}\ntarget: {url: \"https://u:LITPW4@h.example/p?k=LITQ5\"}\n"
	out := Redact(in)
	for _, s := range []string{"LITKEY1", "LIT SECRET2", "LITCC3", "LITPW4", "LITQ5"} {
		if strings.Contains(out, s) {
			t.Errorf("%s survives:\n%s", s, out)
		}
	}
	if !strings.Contains(out, "access_token: ${TOK}") || !strings.Contains(out, "channel: {to: \"1\"") {
		t.Errorf("redaction changed more than the values:\n%s", out)
	}
}

// A template made bad by an ${ENV} value names the variable, never the value.
func TestTemplateErrorHidesEnvValue(t *testing.T) {
	env := func(k string) (string, bool) { return "S3CRET{{oops", k == "TXT" }
	y := filesHead + "sessions:\n  - steps: [connect, {chat: {text: \"${TXT}\"}}]\n"
	_, err := Parse("s.yaml", []byte(y), ".", env)
	if err == nil || strings.Contains(err.Error(), "S3CRET") || !strings.Contains(err.Error(), "${TXT}") {
		t.Fatalf("err = %v", err)
	}
}
