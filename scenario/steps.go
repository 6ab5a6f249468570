package scenario

import (
	"encoding/base64"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"ccload/ccapi"
)

// stepKeys are the step kinds a steps list may hold, as written in YAML.
var stepKeys = []string{"connect", "input", "chat", "card", "transfer", "read", "disconnect", "think", "repeat", "await_reply", "await_agent", "upload"}

var sessionName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]*$`)

// sessions compiles the `sessions` list.
func (l *loader) sessions(n *yaml.Node, ch chanDef) {
	items, ok := l.seq(n, "sessions")
	if !ok {
		return
	}
	if len(items) == 0 {
		l.errAt(n, "sessions", "is empty: a scenario needs at least one session")
		return
	}
	names := map[string]bool{}
	for i, it := range items {
		path := fmt.Sprintf("sessions[%d]", i)
		f := l.mapping(it, path, "name", "weight", "poll", "on_failure", "queue_interval", "on_platform_end", "channel", "steps", "delivery")
		if f == nil {
			continue
		}
		s := &Session{Name: fmt.Sprintf("session%d", i+1), Weight: 1, Poll: true, PollInterval: DefaultPollInterval, QueueInterval: DefaultQueueInterval, Pos: Pos{it.Line, it.Column}}
		if v := f.get("name"); v != nil {
			if name, ok := l.str(v, f.p("name")); ok {
				if !sessionName.MatchString(name) {
					l.errAt(v, f.p("name"), "a session name is a word of letters, digits, _ . and -, got %s", shown(v))
				}
				s.Name = name
			}
		}
		if names[s.Name] {
			l.errAt(f.get("name"), f.p("name"), "duplicate session name %q", s.Name)
		}
		names[s.Name] = true
		if v := f.get("weight"); v != nil {
			if w, ok := l.float(v, f.p("weight")); ok {
				if w <= 0 {
					l.errAt(v, f.p("weight"), "must be greater than 0, got %s (remove the session to leave it out)", shown(v))
				}
				s.Weight = w
			}
		}
		if v := f.get("poll"); v != nil {
			l.poll(v, f.p("poll"), s)
		}
		l.sessionDelivery(f.get("delivery"), f.get("poll"), f.p("delivery"), s)
		if v := f.get("on_failure"); v != nil {
			if p, ok := l.enum(v, f.p("on_failure"), "abort", "continue"); ok && p == "continue" {
				s.OnFailure = Continue
			}
		}
		if v := f.get("queue_interval"); v != nil {
			if d, ok := l.posDur(v, f.p("queue_interval")); ok {
				if d < 10*time.Millisecond {
					l.errAt(v, f.p("queue_interval"), "must be at least 10ms, got %s", shown(v))
				}
				s.QueueInterval = d
			}
		}
		if v := f.get("on_platform_end"); v != nil {
			if p, ok := l.enum(v, f.p("on_platform_end"), "end", "reconnect"); ok && p == "reconnect" {
				s.OnPlatformEnd = Reconnect
			}
		}
		sch := ch
		l.channel(f.get("channel"), f.p("channel"), &sch)
		s.Channel = sch.templates()
		if v := f.get("steps"); v != nil {
			cx := &stepCtx{ch: sch, sess: s}
			s.Steps = l.steps(v, f.p("steps"), cx, 0)
			if v.Kind == yaml.SequenceNode && len(v.Content) == 0 {
				l.errAt(v, f.p("steps"), "is empty: a session needs at least one step")
			}
			l.checkFlow(s, f.p("steps"))
		} else {
			l.errAt(it, f.p("steps"), "missing: a session needs steps, e.g. steps: [connect, {chat: hello}, disconnect]")
		}
		s.Feeders = sessionFeeders(s)
		l.sc.Sessions = append(l.sc.Sessions, s)
	}
}

// poll compiles a session's `poll`: true, false, or {interval}.
func (l *loader) poll(n *yaml.Node, path string, s *Session) {
	n = l.resolve(n)
	if n == nil {
		return
	}
	if n.Kind == yaml.ScalarNode {
		if b, ok := l.bool(n, path); ok {
			s.Poll = b
		}
		return
	}
	f := l.mapping(n, path, "interval")
	if f == nil {
		return
	}
	if v := f.get("interval"); v != nil {
		if d, ok := l.posDur(v, f.p("interval")); ok {
			if d < 10*time.Millisecond {
				l.errAt(v, f.p("interval"), "must be at least 10ms, got %s", shown(v))
			}
			s.PollInterval = d
		}
	}
}

// stepCtx is what a step sees while it compiles: its session's resolved channel.
type stepCtx struct {
	ch   chanDef
	sess *Session
}

// steps compiles a steps list.
func (l *loader) steps(n *yaml.Node, path string, cx *stepCtx, depth int) []*Step {
	items, ok := l.seq(n, path)
	if !ok {
		return nil
	}
	var out []*Step
	for i, it := range items {
		if st := l.step(it, fmt.Sprintf("%s[%d]", path, i), cx, depth); st != nil {
			out = append(out, st)
		}
	}
	return out
}

// step compiles one step: `- connect`, `- think: 2s`, `- chat: {text: hi}`, or a mapping
// with one step key and an optional `name`.
func (l *loader) step(n *yaml.Node, path string, cx *stepCtx, depth int) *Step {
	n = l.resolve(n)
	if n == nil {
		return nil
	}
	st := &Step{Pos: Pos{n.Line, n.Column}, Path: path}
	var kind string
	var arg *yaml.Node
	switch n.Kind {
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			l.errAt(n, path, "empty step; write one of: %s", strings.Join(stepKeys, ", "))
			return nil
		}
		kind = n.Value
		if !contains(stepKeys, kind) {
			l.errAt(n, path, "unknown step `%s`%s; steps: %s", clip(kind), suggest(kind, stepKeys), strings.Join(stepKeys, ", "))
			return nil
		}
	case yaml.MappingNode:
		f := l.mapping(n, path, append(append([]string{}, stepKeys...), "name")...)
		if f == nil {
			return nil
		}
		var kinds []string
		for _, k := range f.keys {
			if k != "name" {
				kinds = append(kinds, k)
			}
		}
		switch len(kinds) {
		case 0:
			if len(f.keys) == len(n.Content)/2 {
				l.errAt(n, path, "a step needs one of: %s", strings.Join(stepKeys, ", "))
			}
			return nil
		case 1:
		default:
			l.errAt(f.key[kinds[1]], join(path, kinds[1]), "one step per list item: found %s; start a new item with -", strings.Join(kinds, " and "))
			return nil
		}
		kind, arg = kinds[0], f.get(kinds[0])
		if v := f.get("name"); v != nil {
			if s, ok := l.str(v, join(path, "name")); ok {
				st.Name = s
			}
		}
	default:
		l.errAt(n, path, "a step is a word (connect) or a mapping (chat: hello), got %s", kindName(n))
		return nil
	}
	ap := join(path, kind)
	if arg != nil {
		arg = l.resolve(arg)
		if arg == nil {
			return nil
		}
	}
	switch kind {
	case "connect", "input", "transfer", "read", "disconnect", "chat", "card", "upload":
		l.sendStep(st, kind, arg, ap, cx)
	case "think":
		st.Kind = StepThink
		if isNull(arg) {
			l.errAt(n, ap, "needs a duration or a distribution, e.g. think: 2s")
			return nil
		}
		st.Think = l.dist(arg, ap, true, "name")
		l.innerName(st, arg, ap)
	case "repeat":
		st.Kind = StepRepeat
		l.repeat(st, arg, ap, cx, depth)
	case "await_reply", "await_agent":
		l.await(st, kind, arg, ap)
	}
	if st.Name != "" && !stepNameRe.MatchString(st.Name) {
		l.errAt(n, join(path, "name"), "a step name is a word of letters, digits, _ . and -, got %q", clip(st.Name))
	}
	return st
}

var stepNameRe = sessionName

// innerName reads a `name` written inside a step's mapping argument.
func (l *loader) innerName(st *Step, arg *yaml.Node, path string) {
	if arg == nil || arg.Kind != yaml.MappingNode {
		return
	}
	for i := 0; i+1 < len(arg.Content); i += 2 {
		if arg.Content[i].Value == "name" {
			if st.Name != "" {
				l.errAt(arg.Content[i], join(path, "name"), "the step is already named")
				return
			}
			if s, ok := l.str(arg.Content[i+1], join(path, "name")); ok {
				st.Name = s
			}
		}
	}
}

// repeat compiles `repeat: {count, steps}`.
func (l *loader) repeat(st *Step, arg *yaml.Node, path string, cx *stepCtx, depth int) {
	if isNull(arg) || arg.Kind != yaml.MappingNode {
		l.errAt(arg, path, "needs a mapping: repeat: {count: 3, steps: [...]}")
		return
	}
	f := l.mapping(arg, path, "count", "steps", "name")
	if f == nil {
		return
	}
	l.innerName(st, arg, path)
	if v := f.get("count"); v != nil {
		st.Count = l.dist(v, f.p("count"), false)
	} else {
		l.errAt(arg, f.p("count"), "missing: how many times, a number or a distribution")
	}
	if depth+1 >= maxDepth {
		l.errAt(arg, path, "repeats nest more than %d deep", maxDepth)
		return
	}
	if v := f.get("steps"); v != nil {
		st.Steps = l.steps(v, f.p("steps"), cx, depth+1)
		if items, ok := v.Content, v.Kind == yaml.SequenceNode; ok && len(items) == 0 {
			l.errAt(v, f.p("steps"), "is empty: repeat needs steps")
		}
	} else {
		l.errAt(arg, f.p("steps"), "missing: the steps to repeat")
	}
}

// await compiles await_reply and await_agent: a timeout (scalar) or {timeout, on_timeout, from}.
func (l *loader) await(st *Step, kind string, arg *yaml.Node, path string) {
	st.Kind, st.Timeout, st.OnTimeout = StepAwaitReply, DefaultReplyTimeout, Abort
	keys := []string{"timeout", "on_timeout", "from", "name"}
	if kind == "await_agent" {
		st.Kind, st.Timeout = StepAwaitAgent, DefaultAgentTimeout
		keys = []string{"timeout", "on_timeout", "name"}
	}
	if isNull(arg) {
		return
	}
	if arg.Kind == yaml.ScalarNode {
		if d, ok := l.posDur(arg, path); ok {
			st.Timeout = d
		}
		return
	}
	f := l.mapping(arg, path, keys...)
	if f == nil {
		return
	}
	l.innerName(st, arg, path)
	if v := f.get("timeout"); v != nil {
		if d, ok := l.posDur(v, f.p("timeout")); ok {
			st.Timeout = d
		}
	}
	if v := f.get("on_timeout"); v != nil {
		if s, ok := l.enum(v, f.p("on_timeout"), "fail", "continue"); ok && s == "continue" {
			st.OnTimeout = Continue
		}
	}
	if v := f.get("from"); v != nil {
		if s, ok := l.enum(v, f.p("from"), "any", "robot", "agent"); ok {
			st.From = map[string]ReplyFrom{"any": FromAny, "robot": FromRobot, "agent": FromAgent}[s]
		}
	}
}

// Step override keys every sending step accepts, and the channel field each one overrides.
var overrideKeys = map[string]int{"channel": chChannel, "to": chTo, "source_type": chSourceType,
	"user_agent": chUserAgent, "sender_nickname": chNickname, "sender_avatar": chAvatar}

var sendCommon = []string{"name", "channel", "to", "source_type", "user_agent", "sender_nickname", "sender_avatar", "message_id", "trans_data"}

// chatMedia are the mediaType values a chat may send (WEBCARD is the card step; LOCATE needs api: send).
var chatMedia = []string{"TEXT", "IMAGE", "AUDIO", "VIDEO", "FILE", "FILE_IMAGE", "FILE_VIDEO", "LOCATE"}

// sendStep compiles a sending step into its fully resolved Send.
func (l *loader) sendStep(st *Step, kind string, arg *yaml.Node, path string, cx *stepCtx) {
	st.Kind = map[string]StepKind{"connect": StepConnect, "input": StepInput, "transfer": StepTransfer,
		"read": StepRead, "disconnect": StepDisconnect, "chat": StepChat, "card": StepCard, "upload": StepChat}[kind]
	ctl := map[StepKind]ccapi.ControlType{StepConnect: ccapi.Connect, StepInput: ccapi.Input, StepTransfer: ccapi.Trans2Agent,
		StepRead: ccapi.Read, StepDisconnect: ccapi.Disconnect, StepChat: ccapi.Chat, StepCard: ccapi.Chat}[st.Kind]
	sd := &Send{ControlType: ctl, MediaType: ccapi.Text}
	st.Send = sd
	ch := cx.ch
	srcs := map[string]src{}
	var content src
	var f *fields

	keys := append([]string{}, sendCommon...)
	switch kind {
	case "chat":
		keys = append(keys, "text", "media", "file")
	case "upload":
		keys = append(keys, "file", "media")
	case "card":
		keys = append(keys, "title", "description", "redirect_url", "media_file_id", "media_file_type")
	default:
		keys = append(keys, "text")
	}
	switch {
	case isNull(arg):
		switch kind {
		case "chat":
			l.errAt(arg, path, "needs text: chat: \"hello\" or chat: {text: ..., media: ..., file: ...}")
			return
		case "card":
			l.errAt(arg, path, "needs the card's fields: card: {title: ..., redirect_url: ...}")
			return
		case "upload":
			l.errAt(arg, path, "needs a file: upload: data/photo.jpg")
			return
		}
	case arg.Kind == yaml.ScalarNode:
		switch kind {
		case "card":
			l.errAt(arg, path, "needs a mapping of the card's fields: card: {title: ..., redirect_url: ...}")
			return
		case "upload":
			sd.Upload = l.upload(arg, path, "", sd)
			srcs["file"] = src{n: arg, path: path}
		default:
			content = src{t: l.tmpl(arg, path, false), n: arg, path: path}
		}
	default:
		f = l.mapping(arg, path, keys...)
		if f == nil {
			return
		}
		l.innerName(st, arg, path)
	}
	if f != nil {
		for k, idx := range overrideKeys {
			if v := f.get(k); v != nil {
				sc := l.scope
				if s, ok := l.str(v, f.p(k)); ok {
					t, err := compileTemplate(s, &sc, false)
					if err != nil {
						l.errAt(v, f.p(k), "%v", err)
						continue
					}
					ch.f[idx] = src{t: t, n: v, path: f.p(k)}
				}
			}
		}
		for _, k := range []string{"message_id", "trans_data"} {
			if v := f.get(k); v != nil {
				s := src{t: l.tmpl(v, f.p(k), false), n: v, path: f.p(k)}
				if k == "message_id" {
					sd.MessageID, srcs["messageId"] = s.t, s
				} else {
					sd.TransData, srcs["transData"] = s.t, s
				}
			}
		}
		if v := f.get("text"); v != nil {
			content = src{t: l.tmpl(v, f.p("text"), false), n: v, path: f.p("text")}
		}
		media := ""
		if v := f.get("media"); v != nil {
			if m, ok := l.enum(v, f.p("media"), chatMedia...); ok {
				media = m
				sd.MediaType = ccapi.MediaType(m)
				srcs["mediaType"] = src{n: v, path: f.p("media")}
			}
		}
		if v := f.get("file"); v != nil {
			if f.has("text") {
				l.errAt(f.key["text"], f.p("text"), "a chat with a file sends the uploaded file's objectKey; remove text")
			}
			sd.Upload = l.upload(v, f.p("file"), media, sd)
			srcs["file"] = src{n: v, path: f.p("file")}
		}
		switch kind {
		case "chat":
			if !f.has("text") && !f.has("file") {
				l.errAt(arg, f.p("text"), "missing: a chat needs text (or a media file to upload)")
				content.n = arg
			}
			if media != "" && media != "TEXT" && f.has("text") {
				// Media content written by hand: "objectKey,jpg".
				content.path = f.p("text")
			}
		case "upload":
			if !f.has("file") {
				l.errAt(arg, f.p("file"), "missing: the file to upload")
				content.n = arg
			}
		case "card":
			sd.MediaType = ccapi.WebCardMedia
			content = l.card(f, path)
		}
	}
	if content.t == nil && sd.Upload == nil {
		// INPUT and READ must carry content; these stand in when the step writes no text.
		switch st.Kind {
		case StepInput:
			content.t = Lit(DefaultInputText)
		case StepRead:
			content.t = Lit(DefaultReadText)
		}
	}
	sd.Content = content.t
	srcs["content"] = content
	sd.Channel, sd.To, sd.SourceType = ch.f[chChannel].t, ch.f[chTo].t, ch.f[chSourceType].t
	sd.UserAgent, sd.SenderNickname, sd.SenderAvatar = ch.f[chUserAgent].t, ch.f[chNickname].t, ch.f[chAvatar].t
	for name, idx := range map[string]int{"channel": chChannel, "to": chTo, "sourceType": chSourceType, "userAgent": chUserAgent,
		"senderNickname": chNickname, "senderAvatar": chAvatar, "from": chUserID} {
		srcs[name] = ch.f[idx]
	}
	l.checkSend(st, sd, srcs)
}

// upload reads a file a media chat uploads first; the media type defaults from its extension.
func (l *loader) upload(n *yaml.Node, path, media string, sd *Send) *Upload {
	file, ok := l.str(n, path)
	if !ok {
		return nil
	}
	ext := strings.ToLower(strings.TrimPrefix(filepath.Ext(file), "."))
	if !containsFold(ccapi.UploadFileTypes, ext) {
		l.errAt(n, path, "uploadFileStream accepts %s files, not %q", strings.ToLower(strings.Join(ccapi.UploadFileTypes, ", ")), ext)
		return nil
	}
	full := file
	if !filepath.IsAbs(full) {
		full = filepath.Join(l.dir, file)
	}
	data, err := readRegular(full, maxUploadBytes)
	if err != nil {
		l.errAt(n, path, "cannot read %s: %v", shown(n), unwrapPathErr(err))
		return nil
	}
	if media == "" {
		sd.MediaType = map[string]ccapi.MediaType{"jpg": ccapi.Image, "jpeg": ccapi.Image, "png": ccapi.Image, "bmp": ccapi.Image,
			"mp3": ccapi.Audio, "aac": ccapi.Audio, "mp4": ccapi.Video, "txt": ccapi.File, "csv": ccapi.File}[ext]
	} else if media == "TEXT" {
		l.errAt(n, path, "a TEXT chat sends no file; set media (IMAGE, AUDIO, VIDEO, FILE, ...)")
	}
	return &Upload{Path: full, FileType: ext, Base64: base64.StdEncoding.EncodeToString(data)}
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if strings.EqualFold(x, s) {
			return true
		}
	}
	return false
}

// cardFields maps the card step's keys to the WebCard JSON names, in the reference's order.
var cardFields = [][2]string{{"title", "title"}, {"description", "description"}, {"media_file_id", "mediaFileId"},
	{"media_file_type", "mediaFileType"}, {"redirect_url", "redirectUrl"}}

// card builds the WEBCARD content: the card's JSON as one template (literal when every field is).
func (l *loader) card(f *fields, path string) src {
	errsBefore := len(l.errs)
	t := &Template{}
	var b strings.Builder
	lit := func(s string) { t.parts = append(t.parts, part{kind: pLit, lit: s}) }
	lit("{")
	first := true
	// check is the card with every templated field replaced by a valid stand-in, so the literal
	// fields beside a template are still checked at load (a templated redirect_url must not let
	// media_file_type: png through); nodes finds the field a broken rule names.
	check := map[string]string{}
	nodes := map[string]*yaml.Node{}
	for _, kf := range cardFields {
		v := f.get(kf[0])
		if v == nil {
			continue
		}
		s, ok := l.str(v, f.p(kf[0]))
		if !ok {
			continue
		}
		ft, err := compileTemplate(s, &l.scope, true)
		if err != nil {
			l.errAt(v, f.p(kf[0]), "%v", err)
			continue
		}
		if l, ok := ft.Literal(); ok && l == "" {
			continue // an empty literal field is left out, as the reference's optional fields are
		}
		nodes[kf[1]] = v
		if s, ok := ft.Literal(); ok {
			check[kf[1]] = s
		} else {
			check[kf[1]] = cardStandIn[kf[1]]
		}
		if !first {
			lit(",")
		}
		first = false
		lit(`"` + kf[1] + `":"`)
		if s, ok := ft.Literal(); ok {
			lit(s) // compiled with esc: already JSON-escaped
		} else {
			t.parts = append(t.parts, ft.parts...)
			for _, fi := range ft.feeders {
				addFeeder(&t.feeders, fi)
			}
		}
		lit(`"`)
		fmt.Fprintf(&b, "%s=%s ", kf[0], s)
	}
	lit("}")
	t.src = strings.TrimSpace(b.String())
	t.parts = mergeLits(t.parts)
	if len(t.parts) == 1 && t.parts[0].kind == pLit {
		t.lit, t.isLiteral, t.parts = t.parts[0].lit, true, nil
	}
	if !t.isLiteral && len(l.errs) == errsBefore {
		l.checkTemplatedCard(check, nodes, f.node, path)
	}
	return src{t: t, n: f.node, path: path}
}

// cardStandIn is a valid value for each WebCard field, standing in for a templated one.
var cardStandIn = map[string]string{"title": "t", "description": "d", "mediaFileId": "id", "mediaFileType": "img", "redirectUrl": "https://example.com/"}

// checkTemplatedCard applies the WEBCARD rules to a card with templated fields: the literal
// fields as written, the templated ones by their stand-ins (each templated value is checked per
// request by the runner). A broken rule is reported at the field it names, else at the card.
func (l *loader) checkTemplatedCard(check map[string]string, nodes map[string]*yaml.Node, card *yaml.Node, path string) {
	var b strings.Builder
	b.WriteString("{")
	for _, kf := range cardFields {
		v, ok := check[kf[1]]
		if !ok {
			continue
		}
		if b.Len() > 1 {
			b.WriteString(",")
		}
		fmt.Fprintf(&b, "%q:\"%s\"", kf[1], v) // v is JSON-escaped already (compiled with esc)
	}
	b.WriteString("}")
	req := ccapi.SendMsgReq{ControlType: ccapi.Chat, MediaType: ccapi.WebCardMedia, Channel: "WEB", To: "x",
		SourceType: ccapi.SourceCustomer, From: "u", Content: b.String()}
	for _, fe := range req.Validate(l.sc.Target.Rules()) {
		if fe.Field != "content" {
			continue
		}
		n, p := card, path
		for _, kf := range cardFields {
			if strings.Contains(fe.Rule, kf[1]) && nodes[kf[1]] != nil {
				n, p = nodes[kf[1]], path+"."+kf[0]
				break
			}
		}
		l.errAt(n, p, "%s", fe.Rule)
	}
}

// mergeLits joins adjacent literal parts.
func mergeLits(ps []part) []part {
	var out []part
	for _, p := range ps {
		if p.kind == pLit && len(out) > 0 && out[len(out)-1].kind == pLit {
			out[len(out)-1].lit += p.lit
			continue
		}
		out = append(out, p)
	}
	return out
}

// checkSend applies ccapi's field rules to the literal fields of a send at load time, each
// violation reported at the YAML value that produced the field. Templated fields are checked
// per request by the runner. Literal is set when every field is literal.
func (l *loader) checkSend(st *Step, sd *Send, srcs map[string]src) {
	req := ccapi.SendMsgReq{ControlType: sd.ControlType, MediaType: sd.MediaType}
	templated := map[string]bool{}
	set := func(field string, dst *string, placeholder string) {
		s := srcs[field]
		// A value that failed to compile, and a missing `to`, were reported already.
		if s.t == nil && (s.n != nil || field == "to") {
			templated[field] = true
			*dst = placeholder
			return
		}
		if s, ok := s.t.Literal(); ok {
			*dst = s
			return
		}
		templated[field] = true
		*dst = placeholder
	}
	set("channel", &req.Channel, "WEB")
	set("to", &req.To, "x")
	set("sourceType", (*string)(&req.SourceType), string(ccapi.SourceCustomer))
	set("userAgent", &req.UserAgent, "")
	set("senderNickname", &req.SenderNickname, "")
	set("senderAvatar", &req.SenderAvatar, "")
	set("messageId", &req.MessageID, "")
	set("transData", &req.TransData, "")
	set("from", &req.From, "u")
	if sd.Upload != nil || srcs["file"].n != nil {
		templated["content"] = true
		req.Content = "objectKey,jpg"
	} else {
		placeholder := "x"
		if sd.MediaType == ccapi.WebCardMedia {
			placeholder = `{"redirectUrl":"x"}`
		}
		set("content", &req.Content, placeholder)
	}
	sd.Literal = len(templated) == 0
	for _, fe := range req.Validate(l.sc.Target.Rules()) {
		if templated[fe.Field] {
			continue
		}
		s, ok := srcs[fe.Field]
		if !ok || s.n == nil {
			if fe.Field == "content" && s.path != "" {
				l.errAtPos(st.Pos, s.path, fe.Rule)
				continue
			}
			l.errAtPos(st.Pos, st.Path, fe.Error())
			continue
		}
		l.errAt(s.n, s.path, "%s", fe.Rule)
	}
}

func (l *loader) errAtPos(p Pos, path, msg string) {
	l.errs = append(l.errs, Error{File: l.file, Line: p.Line, Col: p.Col, Path: path, Msg: msg})
}

// sessionFeeders lists the feeders the session's templates read: the runner draws one row of
// each per session.
func sessionFeeders(s *Session) []int {
	var out []int
	add := func(t *Template) {
		if t != nil {
			for _, fi := range t.feeders {
				addFeeder(&out, fi)
			}
		}
	}
	c := s.Channel
	for _, t := range []*Template{c.Channel, c.To, c.SourceType, c.UserAgent, c.Nickname, c.Avatar, c.UserID} {
		add(t)
	}
	var walk func([]*Step)
	walk = func(steps []*Step) {
		for _, st := range steps {
			if sd := st.Send; sd != nil {
				for _, t := range []*Template{sd.Content, sd.Channel, sd.To, sd.SourceType, sd.UserAgent, sd.SenderNickname, sd.SenderAvatar, sd.MessageID, sd.TransData} {
					add(t)
				}
			}
			walk(st.Steps)
		}
	}
	walk(s.Steps)
	return out
}

// checkFlow checks the order of a session's steps: everything but connect needs a connect
// before it (and no disconnect since), await_agent needs a transfer, awaits need polling.
// A repeat body is walked twice, so a body that disconnects and then chats is caught.
func (l *loader) checkFlow(s *Session, path string) {
	type state struct{ connected, transferred, ever bool }
	var walk func(steps []*Step, st state) state
	walk = func(steps []*Step, cur state) state {
		for _, st := range steps {
			switch st.Kind {
			case StepConnect:
				cur.connected, cur.ever = true, true
			case StepThink:
			case StepRepeat:
				cur = walk(st.Steps, walk(st.Steps, cur))
			default:
				if !cur.connected {
					why := "before `connect`: a customer connects first"
					if cur.ever {
						why = "after `disconnect`: connect again first"
					}
					l.errAtPos(st.Pos, st.Path, fmt.Sprintf("`%s` %s", st.Kind, why))
				}
				switch st.Kind {
				case StepTransfer:
					cur.transferred = true
				case StepDisconnect:
					cur.connected, cur.transferred = false, false
				case StepAwaitAgent:
					if !cur.transferred && cur.connected {
						l.errAtPos(st.Pos, st.Path, "`await_agent` needs a `transfer` before it in this session")
					}
				}
				if st.Kind == StepAwaitReply && !s.Poll && !s.Push {
					l.errAtPos(st.Pos, st.Path, fmt.Sprintf("`%s` watches the poll for answers, but this session has poll: false", st.Kind))
				}
			}
		}
		return cur
	}
	walk(s.Steps, state{})
}
