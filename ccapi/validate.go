package ccapi

import (
	"encoding/json"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Field limits of the reference document (ccmessaging-sendAsync.txt, table 3, and applyToken).
const (
	MaxFromChars         = 24
	MaxTextContentBytes  = 1024
	MaxMessageIDChars    = 32
	MaxSenderAvatarChars = 1024
	MaxUserIDChars       = 32
)

// WebCardMediaFileTypes are the mediaFileType values a WEBCARD may carry.
var WebCardMediaFileTypes = []string{"img", "img/png", "img/jpg"}

// Rules selects how strictly Validate applies the reference document.
// The zero value is the document's table, strictly.
type Rules struct {
	// Lenient relaxes the length rules (from, messageId, senderAvatar, content size) for platforms that accept more.
	Lenient bool
	// AllowLocate accepts mediaType LOCATE (the /send endpoint allows it).
	AllowLocate bool
}

// FieldError is one violated rule: Field is the JSON field name, Rule says what was wrong and what is allowed.
type FieldError struct {
	Field string
	Rule  string
}

// Error formats as "<field>: <rule>", the mock's resultDesc.
func (e FieldError) Error() string { return e.Field + ": " + e.Rule }

// Validate returns every rule r breaks (nil when it is valid), in field order.
//
// The rules, from the reference document:
//   - channel, controlType, from, mediaType, sourceType and to are required;
//   - controlType is one of ControlTypes; mediaType one of MediaTypes (LOCATE only with AllowLocate);
//   - sourceType is CUSTOMER: sendAsync and send carry upstream messages, written by the customer;
//   - from is 1 to 24 characters; messageId at most 32 characters and no comma;
//     senderAvatar at most 1024 characters; TEXT content at most 1024 bytes (1 KB);
//   - content is required unless controlType is CONNECT, DISCONNECT or TRANS2AGENT;
//   - WEBCARD content is a JSON object string with a non-empty redirectUrl or mediaFileId,
//     and mediaFileType, when given, is img, img/png or img/jpg;
//   - transData, when given, is valid JSON.
//
// Lenient drops the upper length limits (from must still be non-empty, messageId still
// has no comma). Validate does not allocate when r is valid.
func (r *SendMsgReq) Validate(rules Rules) []FieldError {
	var errs []FieldError
	add := func(field, rule string) { errs = append(errs, FieldError{Field: field, Rule: rule}) }

	if r.Channel == "" {
		add("channel", "missing, required (e.g. WEB)")
	}

	// content
	switch {
	case r.Content == "":
		if controlTypeKnown(r.ControlType) && !contentOptional(r.ControlType) {
			add("content", "empty, required for controlType "+string(r.ControlType)+
				" (optional only for CONNECT, DISCONNECT, TRANS2AGENT)")
		}
	case r.MediaType == Text:
		if n := len(r.Content); n > MaxTextContentBytes && !rules.Lenient {
			add("content", strconv.Itoa(n)+" bytes, TEXT content must be at most "+
				strconv.Itoa(MaxTextContentBytes)+" bytes (1 KB)")
		}
	case r.MediaType == WebCardMedia:
		if rule := webCardRule(r.Content); rule != "" {
			add("content", rule)
		}
	}

	switch {
	case r.ControlType == "":
		add("controlType", "missing, must be one of "+joinControlTypes())
	case !controlTypeKnown(r.ControlType):
		add("controlType", quoteShort(string(r.ControlType))+" is not one of "+joinControlTypes())
	}

	if n := utf8.RuneCountInString(r.From); n == 0 {
		add("from", "missing, must be 1 to "+strconv.Itoa(MaxFromChars)+" characters")
	} else if n > MaxFromChars && !rules.Lenient {
		add("from", strconv.Itoa(n)+" characters, must be 1 to "+strconv.Itoa(MaxFromChars))
	}

	switch {
	case r.MediaType == "":
		add("mediaType", "missing, must be one of "+joinMediaTypes(rules))
	case r.MediaType == Locate && !rules.AllowLocate:
		add("mediaType", "LOCATE is accepted only by /send, must be one of "+joinMediaTypes(rules))
	case r.MediaType != Locate && !mediaTypeKnown(r.MediaType):
		add("mediaType", quoteShort(string(r.MediaType))+" is not one of "+joinMediaTypes(rules))
	}

	switch r.SourceType {
	case SourceCustomer:
	case "":
		add("sourceType", "missing, must be CUSTOMER")
	default:
		add("sourceType", quoteShort(string(r.SourceType))+" is not allowed, upstream messages must be CUSTOMER")
	}

	if r.To == "" {
		add("to", "missing, required (the channel configuration ID)")
	}

	if n := utf8.RuneCountInString(r.SenderAvatar); n > MaxSenderAvatarChars && !rules.Lenient {
		add("senderAvatar", strconv.Itoa(n)+" characters, must be at most "+strconv.Itoa(MaxSenderAvatarChars))
	}

	if n := utf8.RuneCountInString(r.MessageID); n > MaxMessageIDChars && !rules.Lenient {
		add("messageId", strconv.Itoa(n)+" characters, must be at most "+strconv.Itoa(MaxMessageIDChars))
	}
	if strings.IndexByte(r.MessageID, ',') >= 0 {
		add("messageId", "contains a comma, must not (READ receipts list messageIds separated by commas)")
	}

	if r.TransData != "" && !validJSON(r.TransData) {
		add("transData", "not valid JSON, must be a JSON value such as {\"key\":\"value\"}")
	}
	return errs
}

// Validate returns every rule r breaks: userId 1 to 32 characters (any length ≥ 1 when
// Lenient) and channelId required.
func (r *ApplyTokenReq) Validate(rules Rules) []FieldError {
	var errs []FieldError
	if n := utf8.RuneCountInString(r.UserID); n == 0 {
		errs = append(errs, FieldError{"userId", "missing, must be 1 to " + strconv.Itoa(MaxUserIDChars) + " characters"})
	} else if n > MaxUserIDChars && !rules.Lenient {
		errs = append(errs, FieldError{"userId", strconv.Itoa(n) + " characters, must be 1 to " + strconv.Itoa(MaxUserIDChars)})
	}
	if r.ChannelID == "" {
		errs = append(errs, FieldError{"channelId", "missing, required (the channel configuration ID)"})
	}
	return errs
}

// Validate returns every rule r breaks: fileType one of UploadFileTypes (any case), channel
// and fileStream required.
func (r *UploadReq) Validate(Rules) []FieldError {
	var errs []FieldError
	ok := false
	for _, t := range UploadFileTypes {
		if strings.EqualFold(r.FileType, t) {
			ok = true
			break
		}
	}
	if !ok {
		errs = append(errs, FieldError{"fileType", quoteShort(r.FileType) + " is not one of " + strings.Join(UploadFileTypes, ", ")})
	}
	if r.Channel == "" {
		errs = append(errs, FieldError{"channel", "missing, required (e.g. WEB)"})
	}
	if r.FileStream == "" {
		errs = append(errs, FieldError{"fileStream", "missing, must be the file's content in base64"})
	}
	return errs
}

func controlTypeKnown(c ControlType) bool {
	for _, k := range ControlTypes {
		if c == k {
			return true
		}
	}
	return false
}

func mediaTypeKnown(m MediaType) bool {
	for _, k := range MediaTypes {
		if m == k {
			return true
		}
	}
	return false
}

// contentOptional reports whether a message of controlType c may have empty content.
func contentOptional(c ControlType) bool {
	return c == Connect || c == Disconnect || c == Trans2Agent
}

func joinControlTypes() string {
	var b strings.Builder
	for i, c := range ControlTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(c))
	}
	return b.String()
}

func joinMediaTypes(rules Rules) string {
	var b strings.Builder
	for i, m := range MediaTypes {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(string(m))
	}
	if rules.AllowLocate {
		b.WriteString(", LOCATE")
	}
	return b.String()
}

// quoteShort quotes a user value for a rule message, cut to 40 bytes so messages stay readable.
func quoteShort(s string) string {
	const max = 40
	if len(s) > max {
		cut := max
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		return strconv.Quote(s[:cut]) + "..."
	}
	return strconv.Quote(s)
}

// webCardRule checks a WEBCARD content string and returns the broken rule, or "" when it is valid.
// It does not allocate for a valid card whose strings have no escapes.
func webCardRule(content string) string {
	const notObject = "WEBCARD content must be a JSON object string such as " +
		`{"title":"...","redirectUrl":"https://..."}`
	if !validJSON(content) {
		return "not valid JSON; " + notObject
	}
	it, ok := newObjIter(content)
	if !ok {
		return "not a JSON object; " + notObject
	}
	var redirect, fileID, fileType string
	var redirectSet, fileIDSet, fileTypeSet bool
	for {
		key, val, keyPlain, more := it.next()
		if !more {
			break
		}
		if !keyPlain {
			return webCardRuleSlow(content)
		}
		var dst *string
		var set *bool
		switch key {
		case "redirectUrl":
			dst, set = &redirect, &redirectSet
		case "mediaFileId":
			dst, set = &fileID, &fileIDSet
		case "mediaFileType":
			dst, set = &fileType, &fileTypeSet
		default:
			continue
		}
		switch {
		case val == "null":
			*dst, *set = "", false
		case val[0] != '"':
			return string(key) + " in WEBCARD content must be a string"
		default:
			if _, plain, _ := skipString(val, 0); !plain {
				return webCardRuleSlow(content)
			}
			*dst, *set = val[1:len(val)-1], true
		}
	}
	return webCardFields(redirect, fileID, fileType, fileTypeSet)
}

// webCardRuleSlow handles cards whose keys or values use escapes, with encoding/json.
func webCardRuleSlow(content string) string {
	var m map[string]json.RawMessage
	if err := json.Unmarshal([]byte(content), &m); err != nil {
		return "not a JSON object"
	}
	get := func(k string) (string, bool, string) {
		raw, ok := m[k]
		if !ok || string(raw) == "null" {
			return "", false, ""
		}
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", false, k + " in WEBCARD content must be a string"
		}
		return s, true, ""
	}
	redirect, _, e1 := get("redirectUrl")
	fileID, _, e2 := get("mediaFileId")
	fileType, typeSet, e3 := get("mediaFileType")
	for _, e := range []string{e1, e2, e3} {
		if e != "" {
			return e
		}
	}
	return webCardFields(redirect, fileID, fileType, typeSet)
}

func webCardFields(redirect, fileID, fileType string, fileTypeSet bool) string {
	if redirect == "" && fileID == "" {
		return "WEBCARD content has neither redirectUrl nor mediaFileId, must set one of them"
	}
	if fileTypeSet && fileType != "" {
		for _, t := range WebCardMediaFileTypes {
			if fileType == t {
				return ""
			}
		}
		return "WEBCARD mediaFileType " + quoteShort(fileType) + " must be one of img, img/png, img/jpg (or empty for jpg)"
	}
	return ""
}
