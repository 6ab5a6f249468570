package mock

import (
	"strconv"

	"ccload/ccapi"
)

// appendJSONString appends s as a quoted JSON string (ccapi's encoder: one escaping rule for client and mock).
func appendJSONString(b []byte, s string) []byte { return ccapi.AppendJSONString(b, s) }

func appendInt(b []byte, v int64) []byte { return strconv.AppendInt(b, v, 10) }

// joinErrors formats field errors as resultDesc: "<field>: <rule>; <field>: <rule>".
func joinErrors(errs []ccapi.FieldError) string {
	n := 0
	for _, e := range errs {
		n += len(e.Field) + len(e.Rule) + 4
	}
	b := make([]byte, 0, n)
	for i, e := range errs {
		if i > 0 {
			b = append(b, "; "...)
		}
		b = append(b, e.Field...)
		b = append(b, ": "...)
		b = append(b, e.Rule...)
	}
	return string(b)
}
