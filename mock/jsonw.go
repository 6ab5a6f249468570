package mock

import (
	"strconv"
	"strings"
	"sync"

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

// interner shares the copies of the few distinct strings every session repeats
// (channel, channel config ID), so 100,000 sessions do not hold 100,000 copies.
// Safe for concurrent use; its zero value is ready.
type interner struct {
	mu sync.Mutex // guards m
	m  map[string]string
}

// maxInterned bounds the table: past it, strings are copied, not shared.
const maxInterned = 1024

// get returns an owned copy of s, shared with earlier calls for the same value.
func (in *interner) get(s string) string {
	in.mu.Lock()
	defer in.mu.Unlock()
	if v, ok := in.m[s]; ok {
		return v
	}
	c := strings.Clone(s)
	if in.m == nil {
		in.m = make(map[string]string)
	}
	if len(in.m) < maxInterned {
		in.m[c] = c
	}
	return c
}
