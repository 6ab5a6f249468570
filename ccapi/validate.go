package ccapi

// API CONTRACT stub (the ccapi helper implements the rules here).

// Rules selects how strictly Validate applies the reference document.
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

// Validate returns every rule r breaks (nil when it is valid).
func (r *SendMsgReq) Validate(rules Rules) []FieldError {
	return nil
}
