package scenario

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"ccload/ccapi"
	"ccload/gates"
	"ccload/internal/durdist"
)

// Defaults applied when the scenario file does not say otherwise (docs/scenario.md lists them).
const (
	// DefaultQueueInterval is how often await_agent asks queryQueueInfo: a web client's queue
	// banner refreshes every few seconds, while the poll (default 1s) already shows the agent joining.
	DefaultQueueInterval  = 5 * time.Second
	DefaultTimeout        = 10 * time.Second
	DefaultMaxConnections = 256
	DefaultTokenLifetime  = 600 * time.Second
	MaxTokenLifetime      = 3600 * time.Second
	DefaultPollInterval   = time.Second
	DefaultReplyTimeout   = 10 * time.Second
	DefaultAgentTimeout   = 60 * time.Second
	// DefaultUserID keeps the customer's userId (`from`, 1-24 characters) unique per session.
	DefaultUserID = "c{{customer}}s{{session}}"
	// DefaultInputText and DefaultReadText are the content of `input` and `read` steps that write
	// no text: the reference requires content for INPUT and READ.
	DefaultInputText = "typing"
	DefaultReadText  = "read"
	// MockChannelTo is the channel configuration ID used against the embedded mock when the file names none.
	MockChannelTo = "1011577355744904195"
	// maxUploadBytes bounds a file a media chat uploads: it is held in memory, base64-encoded.
	maxUploadBytes = 8 << 20
	// maxDepth bounds the nesting of repeat steps.
	maxDepth = 8
)

// LoadFile reads the scenario file at path, resolving data and upload paths relative to it and
// ${ENV} references from the process environment. The error, if any, is an Errors listing
// every problem found, sorted by position. (It is not called Load: that name is the load
// profile type, Scenario.Load.)
func LoadFile(path string) (*Scenario, error) {
	data, err := readRegular(path, MaxScenarioBytes)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s: no such scenario file; check the path", path)
		}
		return nil, fmt.Errorf("reading the scenario: %w", err)
	}
	return Parse(path, data, filepath.Dir(path), os.LookupEnv)
}

// topKeys are the keys a scenario file may hold at its top level.
var topKeys = []string{"name", "description", "target", "auth", "channel", "load", "seed", "data", "sessions", "thresholds", "compare", "mock", "webhook"}

// Parse compiles a scenario from data; name is the file name used in errors, dir the
// directory data paths are relative to, env looks up ${ENV} references (nil: none set).
func Parse(name string, data []byte, dir string, env func(string) (string, bool)) (*Scenario, error) {
	l := &loader{file: name, dir: dir, env: env}
	sc := &Scenario{File: name, Text: []byte(Redact(string(data)))}
	l.sc = sc
	root, ok := l.parseYAML(data)
	if ok {
		l.top(root)
	}
	if len(l.errs) > 0 {
		es := l.errs.sorted()
		if len(es) > maxErrors {
			more := len(es) - maxErrors
			es = append(es[:maxErrors:maxErrors], Error{File: name, Msg: fmt.Sprintf("... and %d more errors", more)})
		}
		return nil, es
	}
	return sc, nil
}

// maxErrors is the most errors reported for one file; past it the file is hardly a scenario.
const maxErrors = 100

var yamlLine = regexp.MustCompile(`^yaml: line (\d+): (.*)$`)

// parseYAML parses the document; it reports syntax errors with their line, and tabs with their column.
func (l *loader) parseYAML(data []byte) (*yaml.Node, bool) {
	if len(bytes.TrimSpace(data)) == 0 {
		l.errs = append(l.errs, Error{File: l.file, Line: 1, Col: 1, Msg: "empty scenario: it needs at least `sessions`"})
		return nil, false
	}
	if line, col, msg, bad := badText(data); bad {
		l.errs = append(l.errs, Error{File: l.file, Line: line, Col: col, Msg: msg})
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := l.decode(dec, &doc, data); err != nil {
		return nil, false
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		l.errs = append(l.errs, Error{File: l.file, Line: extra.Line, Col: extra.Column, Msg: "a second YAML document (---): one file holds one scenario"})
		return nil, false
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) == 0 {
		l.errs = append(l.errs, Error{File: l.file, Line: 1, Col: 1, Msg: "empty scenario: it needs at least `sessions`"})
		return nil, false
	}
	root := doc.Content[0]
	if isNull(root) {
		l.errs = append(l.errs, Error{File: l.file, Line: 1, Col: 1, Msg: "empty scenario: it needs at least `sessions`"})
		return nil, false
	}
	return root, true
}

// decode runs the YAML decoder, turning its error into a positioned Error (and recovering from
// a panic in the YAML library, so a hostile file is an error, never a crash).
func (l *loader) decode(dec *yaml.Decoder, doc *yaml.Node, data []byte) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%v", r)
			l.errs = append(l.errs, Error{File: l.file, Line: 1, Col: 1, Msg: fmt.Sprintf("YAML could not be parsed: %v", r)})
		}
	}()
	err = dec.Decode(doc)
	if err == nil {
		return nil
	}
	if errors.Is(err, io.EOF) {
		l.errs = append(l.errs, Error{File: l.file, Line: 1, Col: 1, Msg: "empty scenario: it needs at least `sessions`"})
		return err
	}
	msg := err.Error()
	line, col := 1, 1
	if m := yamlLine.FindStringSubmatch(msg); m != nil {
		line, _ = strconv.Atoi(m[1])
		msg = m[2]
	} else {
		msg = strings.TrimPrefix(msg, "yaml: ")
	}
	if tl, tc, ok := findTab(data); ok && (tl == line || tl == line-1 || strings.Contains(msg, "tab")) {
		line, col = tl, tc
		msg = "tab character in indentation; YAML indents with spaces only"
	} else {
		msg = "YAML syntax: " + msg
	}
	l.errs = append(l.errs, Error{File: l.file, Line: line, Col: col, Msg: msg})
	return err
}

// findTab returns the position of the first tab used in a line's indentation.
func findTab(data []byte) (line, col int, ok bool) {
	for i, ln := range bytes.Split(data, []byte("\n")) {
		for j, c := range ln {
			if c == '\t' {
				return i + 1, j + 1, true
			}
			if c != ' ' && c != '-' {
				break
			}
		}
	}
	return 0, 0, false
}

// top compiles the top-level mapping. Data comes first: templates elsewhere refer to feeders.
func (l *loader) top(root *yaml.Node) {
	l.root = root
	f := l.mapping(root, "", topKeys...)
	if f == nil {
		return
	}
	sc := l.sc
	sc.Name = strings.TrimSuffix(filepath.Base(l.file), filepath.Ext(l.file))
	if n := f.get("name"); n != nil {
		if s, ok := l.str(n, "name"); ok {
			if strings.TrimSpace(s) == "" {
				l.errAt(n, "name", "must not be empty")
			}
			sc.Name = s
		}
	}
	if n := f.get("description"); n != nil {
		sc.Description, _ = l.str(n, "description")
	}
	if n := f.get("seed"); n != nil {
		if v, ok := l.int(n, "seed"); ok {
			sc.Seed = v
		}
	}
	l.data(f.get("data"))
	l.target(f.get("target"))
	l.auth(f.get("auth"))
	root0 := defaultChannel(sc.Target.URL == "")
	l.channel(f.get("channel"), "channel", &root0)
	if root0.f[chTo].t == nil {
		at := root
		if f.has("channel") {
			at = f.get("channel")
		}
		l.errAt(at, "channel.to", "missing: the channel configuration ID is required against a target")
	}
	sc.Channel = root0.templates()
	sc.chdef = root0
	if f.has("load") {
		l.loadProfile(f.get("load"), f.key["load"])
	} else {
		l.errAt(root, "load", "missing: say how much load, e.g. load: {rate: 2, duration: 30s}")
	}
	if f.has("sessions") {
		l.sessions(f.get("sessions"), root0)
	} else {
		l.errAt(root, "sessions", "missing: a scenario needs at least one session")
	}
	if n := f.get("mock"); n != nil {
		l.mock(n)
	}
	l.webhook(f.get("webhook"))
	if n := f.get("thresholds"); n != nil {
		l.thresholds(n)
	}
	if n := f.get("compare"); n != nil {
		l.compare(n)
	}
}

// CheckTargetURL applies the rules of a target's base URL and returns it without a trailing
// slash: the scenario's target.url and the --target flag share them, so both refuse the same
// URLs with the same words. Its errors never echo the URL (it may carry a password).
func CheckTargetURL(s string) (string, error) {
	u, err := url.Parse(s)
	switch {
	case !strings.Contains(s, "://"): // host:port alone, which url.Parse misreads ("first path segment ... colon")
		return "", fmt.Errorf("needs http:// or https://, got %s: write http://%s (leave target out, or write mock, for the embedded mock)", strconv.Quote(clip(RedactURL(s))), clip(RedactURL(s)))
	case err != nil:
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err // url.Error repeats the whole URL, user info included
		}
		return "", fmt.Errorf("not a URL: %v", err)
	case u.Scheme != "http" && u.Scheme != "https":
		return "", fmt.Errorf("needs http:// or https://, got %s (leave target out, or write mock, for the embedded mock)", strconv.Quote(clip(RedactURL(s))))
	case u.Host == "":
		return "", errors.New("has no host")
	case u.User != nil:
		return "", errors.New("carries user info (user:password@); credentials go in auth:, never in the URL")
	case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
		return "", errors.New("carries a query or a fragment; give the base URL only (scheme://host[:port][/prefix])")
	}
	return strings.TrimSuffix(s, "/"), nil
}

// target compiles `target`; absent means the embedded mock.
func (l *loader) target(n *yaml.Node) {
	t := &l.sc.Target
	t.Paths = ccapi.DefaultPaths
	t.Timeout = DefaultTimeout
	t.MaxConnections = DefaultMaxConnections
	if isNull(n) {
		return
	}
	f := l.mapping(n, "target", "url", "api", "paths", "timeout", "max_connections", "insecure_skip_verify", "ca_file", "lenient_rules", "max_rps", "user_agent", "delivery")
	if f == nil {
		return
	}
	if v := f.get("url"); v != nil {
		if s, ok := l.str(v, "target.url"); ok && s != "mock" && s != "" {
			if u, err := CheckTargetURL(s); err != nil {
				l.errAt(v, "target.url", "%v", err)
			} else {
				t.URL = u
			}
		}
	}
	if v := f.get("user_agent"); v != nil {
		if s, ok := l.str(v, "target.user_agent"); ok {
			if err := ccapi.CheckUserAgent(s); err != nil {
				l.errAt(v, "target.user_agent", "%v", err)
			} else {
				t.UserAgent = s
			}
		}
	}
	if v := f.get("delivery"); v != nil {
		t.Push = l.delivery(v, "target.delivery")
	}
	if v := f.get("api"); v != nil {
		if s, ok := l.enum(v, "target.api", "sendAsync", "send"); ok {
			t.UseSend = s == "send"
		}
	}
	if v := f.get("paths"); v != nil {
		l.paths(v, &t.Paths)
	}
	if v := f.get("timeout"); v != nil {
		if d, ok := l.posDur(v, "target.timeout"); ok {
			t.Timeout = d
		}
	}
	if v := f.get("max_connections"); v != nil {
		if c, ok := l.int(v, "target.max_connections"); ok {
			if c < 1 || c > 1<<20 {
				l.errAt(v, "target.max_connections", "must be from 1 to %d, got %d", 1<<20, c)
			} else {
				t.MaxConnections = int(c)
			}
		}
	}
	if v := f.get("max_rps"); v != nil {
		if x, ok := l.float(v, "target.max_rps"); ok {
			if x <= 0 {
				l.errAt(v, "target.max_rps", "must be a positive requests-per-second ceiling, got %g", x)
			} else {
				t.MaxRPS = x
			}
		}
	}
	if v := f.get("insecure_skip_verify"); v != nil {
		if b, ok := l.bool(v, "target.insecure_skip_verify"); ok {
			t.InsecureSkipVerify = b
		}
	}
	if v := f.get("ca_file"); v != nil {
		t.RootCAs = l.caFile(v)
	}
	if v := f.get("lenient_rules"); v != nil {
		if b, ok := l.bool(v, "target.lenient_rules"); ok {
			t.LenientRules = b
		}
	}
}

// paths fills ccapi.Paths from `target.paths`, keyed by the struct's yaml tags.
func (l *loader) paths(n *yaml.Node, p *ccapi.Paths) {
	rv := reflect.ValueOf(p).Elem()
	var keys []string
	for i := range rv.NumField() {
		keys = append(keys, rv.Type().Field(i).Tag.Get("yaml"))
	}
	f := l.mapping(n, "target.paths", keys...)
	if f == nil {
		return
	}
	for i, k := range keys {
		v := f.get(k)
		if v == nil {
			continue
		}
		s, ok := l.str(v, f.p(k))
		if !ok {
			continue
		}
		if !strings.HasPrefix(s, "/") {
			l.errAt(v, f.p(k), "a path starts with /, got %s", shown(v))
			continue
		}
		rv.Field(i).SetString(s)
	}
}

// auth compiles `auth`. Messages name fields and variables, never values.
func (l *loader) auth(n *yaml.Node) {
	a := &l.sc.Auth
	a.TokenLifetime = DefaultTokenLifetime
	if isNull(n) {
		if l.sc.Target.URL != "" {
			l.errAt(l.root, "auth", "missing: a target needs auth.app_key and either auth.access_token or auth.app_secret")
		}
		return
	}
	f := l.mapping(n, "auth", "app_key", "app_secret", "access_token", "token_lifetime", "ccmessaging_token", "locale")
	if f == nil {
		return
	}
	secret := func(key string, dst *string) {
		if v := f.get(key); v != nil {
			if s, ok := l.str(v, f.p(key)); ok {
				if s == "" {
					l.errAt(v, f.p(key), "is empty; remove the key or give it a value")
				}
				*dst = s
			}
		}
	}
	secret("app_key", &a.AppKey)
	secret("app_secret", &a.AppSecret)
	secret("access_token", &a.AccessToken)
	secret("ccmessaging_token", &a.CCMessagingToken)
	if v := f.get("locale"); v != nil {
		if s, ok := l.str(v, "auth.locale"); ok {
			a.Locale = s
		}
	}
	if v := f.get("token_lifetime"); v != nil {
		if d, ok := l.posDur(v, "auth.token_lifetime"); ok {
			if d > MaxTokenLifetime {
				l.errAt(v, "auth.token_lifetime", "may be at most 3600s (X-Token-Expire), got %s", shown(v))
			} else if d%time.Second != 0 {
				l.errAt(v, "auth.token_lifetime", "must be whole seconds (X-Token-Expire), got %s", shown(v))
			} else {
				a.TokenLifetime = d
			}
		}
	}
	if f.has("app_secret") && !f.has("app_key") {
		l.errAt(f.key["app_secret"], "auth.app_secret", "needs auth.app_key: tokenByAkSk takes both")
	}
	if f.has("app_secret") && f.has("access_token") {
		l.errAt(f.key["access_token"], "auth.access_token", "set either access_token (static) or app_secret (fetched by tokenByAkSk), not both")
	}
	if l.sc.Target.URL != "" && (!f.has("app_key") || !f.has("app_secret") && !f.has("access_token")) {
		l.errAt(n, "auth", "a target needs auth.app_key and either auth.access_token or auth.app_secret")
	}
}

// chField names the channel fields, in the order of chanDef.f.
var chFields = []string{"channel", "to", "source_type", "user_agent", "nickname", "avatar", "user_id"}

const (
	chChannel = iota
	chTo
	chSourceType
	chUserAgent
	chNickname
	chAvatar
	chUserID
)

// src is a compiled template and the YAML value it came from (nil for defaults).
type src struct {
	t    *Template
	n    *yaml.Node
	path string
}

// chanDef is a resolved channel with the origin of each field, so a rule broken by a
// literal reports the line that wrote it.
type chanDef struct{ f [7]src }

func defaultChannel(mock bool) chanDef {
	var c chanDef
	c.f[chChannel].t = Lit("WEB")
	c.f[chSourceType].t = Lit(string(ccapi.SourceCustomer))
	if mock {
		c.f[chTo].t = Lit(MockChannelTo)
	}
	c.f[chUserID].t, _ = compileTemplate(DefaultUserID, &tmplScope{}, false)
	return c
}

func (c chanDef) templates() Channel {
	return Channel{Channel: c.f[chChannel].t, To: c.f[chTo].t, SourceType: c.f[chSourceType].t,
		UserAgent: c.f[chUserAgent].t, Nickname: c.f[chNickname].t, Avatar: c.f[chAvatar].t, UserID: c.f[chUserID].t}
}

// channel applies a `channel` mapping over c.
func (l *loader) channel(n *yaml.Node, path string, c *chanDef) {
	if n == nil {
		return
	}
	f := l.mapping(n, path, chFields...)
	if f != nil {
		for i, k := range chFields {
			v := f.get(k)
			if v == nil {
				continue
			}
			sc := l.scope
			sc.noUser = i == chUserID
			s, ok := l.str(v, f.p(k))
			if !ok {
				continue
			}
			t, err := compileTemplate(s, &sc, false)
			if err != nil {
				l.errAt(v, f.p(k), "%v", err)
				continue
			}
			c.f[i] = src{t: t, n: v, path: f.p(k)}
		}
	}
}

// loadProfile compiles `load`.
func (l *loader) loadProfile(n *yaml.Node, key *yaml.Node) {
	ld := &l.sc.Load
	ld.Arrivals = Poisson
	f := l.mapping(n, "load", "model", "arrivals", "max_customers", "stages", "pause", "rate", "customers", "duration")
	if f == nil {
		return
	}
	if v := f.get("model"); v != nil {
		if s, ok := l.enum(v, "load.model", "open", "closed"); ok && s == "closed" {
			ld.Model = Closed
		}
	}
	closed := ld.Model == Closed
	level := "rate"
	if closed {
		level = "customers"
	}
	if v := f.get("arrivals"); v != nil {
		if closed {
			l.errAt(f.key["arrivals"], "load.arrivals", "applies to the open model only (customers of the closed model arrive at once)")
		} else if s, ok := l.enum(v, "load.arrivals", "poisson", "uniform"); ok && s == "uniform" {
			ld.Arrivals = Uniform
		}
	}
	if v := f.get("max_customers"); v != nil {
		if closed {
			l.errAt(f.key["max_customers"], "load.max_customers", "applies to the open model only; the closed model's stages say how many customers")
		} else if c, ok := l.int(v, "load.max_customers"); ok {
			if c < 0 {
				l.errAt(v, "load.max_customers", "must not be negative (0: no cap)")
			} else {
				ld.MaxCustomers = int(c)
			}
		}
	}
	if v := f.get("pause"); v != nil {
		if !closed {
			l.errAt(f.key["pause"], "load.pause", "applies to the closed model only (model: closed)")
		} else {
			ld.Pause = l.dist(v, "load.pause", true)
		}
	}
	other := "customers"
	if closed {
		other = "rate"
	}
	if f.has(other) {
		l.errAt(f.key[other], "load."+other, "applies to the %s model; this load is %s", map[bool]string{true: "open", false: "closed"}[closed], map[bool]string{true: "closed", false: "open"}[closed])
	}
	short := f.has(level) || f.has("duration")
	switch {
	case f.has("stages") && short:
		k := "duration"
		if f.has(level) {
			k = level
		}
		l.errAt(f.key[k], "load."+k, "write either stages or %s + duration, not both", level)
	case f.has("stages"):
		l.stages(f.get("stages"), level)
	case short:
		if !f.has(level) || !f.has("duration") {
			l.errAt(n, "load", "%s and duration go together, e.g. {%s: 5, duration: 30s}", level, level)
			return
		}
		var st Stage
		st.Pos = Pos{n.Line, n.Column}
		d, ok1 := l.posDur(f.get("duration"), "load.duration")
		v, ok2 := l.level(f.get(level), "load."+level, closed)
		if ok1 && ok2 {
			st.Duration, st.From, st.To = d, v, v
			ld.Stages = []Stage{st}
		}
	default:
		l.errAt(key, "load", "needs stages, or %s and duration", level)
		return
	}
	if len(l.errs) == 0 && len(ld.Stages) > 0 && ld.Peak() == 0 {
		l.errAt(n, "load", "every stage is at 0 %s: nothing would run", level)
	}
}

// level reads a stage level: arrivals per second (open), or whole customers (closed).
func (l *loader) level(n *yaml.Node, path string, closed bool) (float64, bool) {
	v, ok := l.nonNeg(n, path)
	if ok && closed && v != float64(int64(v)) {
		l.errAt(n, path, "a number of customers is whole, got %s", shown(n))
		return 0, false
	}
	if ok && v > 1e6 {
		l.errAt(n, path, "%s is beyond what one process can drive (at most 1000000)", shown(n))
		return 0, false
	}
	return v, ok
}

// stages compiles `load.stages`: each holds (rate/customers) or ramps (from/to, or to alone
// from the previous stage's level).
func (l *loader) stages(n *yaml.Node, level string) {
	items, ok := l.seq(n, "load.stages")
	if !ok {
		return
	}
	if len(items) == 0 {
		l.errAt(n, "load.stages", "is empty: give at least one stage, e.g. - {duration: 30s, %s: 5}", level)
		return
	}
	closed := level == "customers"
	prev := 0.0
	for i, it := range items {
		path := fmt.Sprintf("load.stages[%d]", i)
		f := l.mapping(it, path, "duration", level, "from", "to")
		if f == nil {
			continue
		}
		st := Stage{Pos: Pos{it.Line, it.Column}}
		good := true
		if v := f.get("duration"); v != nil {
			d, ok := l.posDur(v, f.p("duration"))
			good = good && ok
			st.Duration = d
		} else {
			l.errAt(it, f.p("duration"), "missing: how long the stage lasts, e.g. duration: 30s")
			good = false
		}
		switch {
		case f.has(level) && (f.has("from") || f.has("to")):
			l.errAt(f.key[level], f.p(level), "write %s (hold) or from/to (ramp), not both", level)
			good = false
		case f.has(level):
			v, ok := l.level(f.get(level), f.p(level), closed)
			st.From, st.To, good = v, v, good && ok
		case f.has("to"):
			st.From = prev
			if f.has("from") {
				v, ok := l.level(f.get("from"), f.p("from"), closed)
				st.From, good = v, good && ok
			}
			v, ok := l.level(f.get("to"), f.p("to"), closed)
			st.To, good = v, good && ok
		case f.has("from"):
			l.errAt(f.key["from"], f.p("to"), "missing: a ramp needs `to` (where it ends)")
			good = false
		default:
			l.errAt(it, f.p(level), "missing: give %s (hold) or from/to (ramp)", level)
			good = false
		}
		if good {
			l.sc.Load.Stages = append(l.sc.Load.Stages, st)
			prev = st.To
		}
	}
}

var feederName = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)

// data compiles `data`: feeders in file order.
func (l *loader) data(n *yaml.Node) {
	if isNull(n) {
		return
	}
	n = l.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "data", "expected a mapping of feeder names to {csv: FILE} or {lines: FILE}, got %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		name := k.Value
		path := "data." + name
		if k.Kind != yaml.ScalarNode || !feederName.MatchString(name) {
			l.errAt(k, path, "a feeder name is a word of letters, digits and _ (it is used as {{data.NAME.column}})")
			continue
		}
		dup := false
		for _, fd := range l.scope.feeders {
			dup = dup || fd.Name == name
		}
		if dup {
			l.errAt(k, path, "duplicate feeder `%s`", name)
			continue
		}
		if fd := l.feeder(name, v, path); fd != nil {
			l.scope.feeders = append(l.scope.feeders, fd)
		}
	}
	l.sc.Feeders = l.scope.feeders
}

// feeder compiles one `data` entry and reads its file.
func (l *loader) feeder(name string, n *yaml.Node, path string) *Feeder {
	f := l.mapping(n, path, "csv", "lines", "order", "wrap", "delimiter")
	if f == nil {
		return nil
	}
	fd := &Feeder{Name: name}
	if v := f.get("order"); v != nil {
		if s, ok := l.enum(v, f.p("order"), "sequential", "random", "unique"); ok {
			fd.Order = map[string]FeedOrder{"sequential": Sequential, "random": RandomOrder, "unique": UniqueOrder}[s]
		}
	}
	if v := f.get("wrap"); v != nil {
		if b, ok := l.bool(v, f.p("wrap")); ok {
			if fd.Order != UniqueOrder {
				l.errAt(f.key["wrap"], f.p("wrap"), "applies to order: unique only (sequential always starts over, random never runs out)")
			}
			fd.Wrap = b
		}
	}
	comma := ','
	if v := f.get("delimiter"); v != nil {
		if s, ok := l.str(v, f.p("delimiter")); ok {
			r := []rune(s)
			if len(r) != 1 || r[0] == '"' || r[0] == '\n' || r[0] == '\r' {
				l.errAt(v, f.p("delimiter"), "must be one character (not a quote or newline), got %s", shown(v))
			} else {
				comma = r[0]
			}
		}
		if f.has("lines") {
			l.errAt(f.key["delimiter"], f.p("delimiter"), "applies to csv files only")
		}
	}
	var key string
	switch {
	case f.has("csv") && f.has("lines"):
		l.errAt(f.key["lines"], f.p("lines"), "a feeder reads either csv or lines, not both")
		return nil
	case f.has("csv"):
		key = "csv"
	case f.has("lines"):
		key = "lines"
	default:
		l.errAt(n, path, "needs a file: csv: FILE (header row names the columns) or lines: FILE (column `line`)")
		return nil
	}
	v := f.get(key)
	file, ok := l.str(v, f.p(key))
	if !ok {
		return nil
	}
	full := file
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.dir, file)
	}
	data, err := readRegular(full, MaxDataBytes)
	if err != nil {
		l.errAt(v, f.p(key), "cannot read %s: %v", shown(v), unwrapPathErr(err))
		return nil
	}
	if key == "csv" {
		fd.Columns, fd.Rows, err = readCSV(data, comma)
	} else {
		fd.Columns, fd.Rows = []string{"line"}, readLines(data)
	}
	if err != nil {
		l.errAt(v, f.p(key), "%s: %v", file, err)
		return nil
	}
	if len(fd.Rows) == 0 {
		l.errAt(v, f.p(key), "%s has no data rows", file)
		return nil
	}
	return fd
}

func unwrapPathErr(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// mock compiles `mock` into MockSettings, keyed by its yaml tags; strings stay as written.
func (l *loader) mock(n *yaml.Node) {
	ms := &MockSettings{}
	rv := reflect.ValueOf(ms).Elem()
	rt := rv.Type()
	var keys []string
	for i := range rt.NumField() {
		keys = append(keys, rt.Field(i).Tag.Get("yaml"))
	}
	f := l.mapping(n, "mock", keys...)
	if f == nil {
		return
	}
	if l.sc.Target.URL != "" {
		l.errAt(n, "mock", "mock settings apply to the embedded mock, but target.url names a target")
	}
	for i, k := range keys {
		v := f.get(k)
		if v == nil {
			continue
		}
		fv, path := rv.Field(i), f.p(k)
		switch {
		case fv.Type() == reflect.TypeFor[time.Duration]():
			if d, ok := l.dur(v, path); ok {
				// 0 cannot be told from "not set": the mock's default would apply silently.
				if d <= 0 {
					l.errAt(v, path, "must be greater than 0, got %s (leave the key out for the mock's default)", shown(v))
				}
				fv.SetInt(int64(d))
			}
		case fv.Kind() == reflect.String:
			if s, ok := l.str(v, path); ok {
				if msg := checkMockString(k, s); msg != "" {
					l.errAt(v, path, "%s %s", shown(v), msg)
				}
				fv.SetString(s)
			}
		case fv.Kind() == reflect.Int:
			if c, ok := l.int(v, path); ok {
				if c < 1 || c > 1e6 {
					l.errAt(v, path, "must be from 1 to 1000000, got %s (0 cannot be told from the mock's default; for a platform without agents run `ccload mock --agents 0`)", shown(v))
				}
				fv.SetInt(c)
			}
		case fv.Kind() == reflect.Float64:
			if strings.HasSuffix(k, "_rate") {
				if s, ok := l.share(v, path); ok {
					fv.SetFloat(s)
				}
			} else if x, ok := l.nonNeg(v, path); ok {
				fv.SetFloat(x)
			}
		}
	}
	l.sc.Mock = ms
}

// compareStats are the latency statistics a compare limit may name (response time, or with
// a service_time. prefix, service time).
var compareStats = []string{"p50", "p90", "p95", "p99", "p999", "max", "mean"}

var compareNumber = regexp.MustCompile(`^[+-]?[0-9]+(\.[0-9]+)?$`)

// compare compiles `compare`: regression limits for `ccload compare`, keyed METRIC[@GROUP]
// as gates.ParseCompareLimits reads them.
func (l *loader) compare(n *yaml.Node) {
	n = l.resolve(n)
	if n == nil {
		return
	}
	if n.Kind != yaml.MappingNode {
		l.errAt(n, "compare", "expected a mapping of metric to limit, e.g. {p99: 10%%, error_rate: 0.1pp}, got %s", kindName(n))
		return
	}
	l.sc.Compare = map[string]string{}
	var steps []string
	for _, s := range l.sc.Sessions {
		collectNames(s.Steps, &steps)
	}
	known := append(append([]string{}, compareStats...), "error_rate", "rps", "code:0")
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		key := k.Value
		path := join("compare", key)
		if _, dup := l.sc.Compare[key]; dup {
			l.errAt(k, path, "duplicate key `%s`", key)
			continue
		}
		metric, group, hasGroup := strings.Cut(key, "@")
		stat := strings.TrimPrefix(strings.TrimPrefix(metric, "response_time."), "service_time.")
		latency := contains(compareStats, stat)
		switch {
		case latency, metric == "error_rate", metric == "rps", strings.HasPrefix(metric, "code:") && len(metric) > 5:
		default:
			l.errAt(k, path, "unknown metric `%s`%s; write p50, p90, p95, p99, p999, max, mean (service_time.p99 for service time), error_rate, rps or code:<resultCode>, optionally @GROUP", metric, suggest(metric, known))
			continue
		}
		if hasGroup {
			if name, ok := strings.CutPrefix(group, "step:"); ok && !contains(steps, name) {
				l.errAt(k, path, "group %q does not exist: no step is named %q", group, name)
				continue
			} else if group == "" {
				l.errAt(k, path, "empty group after @; write all, *, step:NAME or a report group such as \"sendAsync CHAT\"")
				continue
			}
		}
		s, ok := l.str(v, path)
		if !ok {
			continue
		}
		num := strings.TrimLeft(s, "+-")
		var msg string
		switch {
		case strings.HasSuffix(num, "pp") && compareNumber.MatchString(strings.TrimSuffix(num, "pp")):
			if latency || metric == "rps" {
				msg = "percentage points apply to error_rate and code shares; write a relative limit like 10%"
			}
		case strings.HasSuffix(num, "%") && compareNumber.MatchString(strings.TrimSuffix(num, "%")):
		default:
			if _, err := time.ParseDuration(num); err != nil {
				msg = "is not a limit; write a relative change (10%), percentage points (0.1pp) or, for latencies, a duration (20ms)"
			} else if !latency {
				msg = "a duration limit applies to latencies only"
			}
		}
		if msg != "" {
			l.errAt(v, path, "%s %s", shown(v), msg)
			continue
		}
		if _, err := gates.CompareLimitsFromMap(map[string]string{key: s}); err != nil {
			l.errAt(v, path, "%v", err)
			continue
		}
		l.sc.Compare[key] = s
	}
}

// collectNames appends the names of steps (and their nested steps) to names.
func collectNames(steps []*Step, names *[]string) {
	for _, st := range steps {
		if st.Name != "" && !contains(*names, st.Name) {
			*names = append(*names, st.Name)
		}
		collectNames(st.Steps, names)
	}
}

// checkMockString checks the mock's string settings with the mock's own parsers (durdist); it returns
// what is wrong, or "".
func checkMockString(key, s string) string {
	switch key {
	case "latency", "handle_time":
		if _, err := durdist.ParseDist(s); err != nil {
			return "is not a duration distribution (" + strings.TrimPrefix(err.Error(), "mock: ") + "); write 5ms, constant:5ms, uniform:1ms:10ms or lognormal:MEDIAN:P99"
		}
	case "stall":
		if _, _, err := durdist.ParseStall(s); err != nil {
			return "is not HOLD/EVERY; write e.g. 1s/10s (hold shorter than every)"
		}
	case "error_kind":
		if s != "500" && s != "12" && s != "13" {
			return "is not an error kind; write 500, 12 or 13"
		}
	}
	return ""
}
