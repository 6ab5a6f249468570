package report

// Push is report.json's `push` section: what the webhook receiver of a push-mode run saw
// (absent when no session pushes). Every callback (a request to the webhook path) ends in
// exactly one of accepted, malformed, too_large, faulted, stalled, abandoned; every message of an
// accepted callback in exactly one of matched, unknown, duplicated, late. Merge adds shards'.
type Push struct {
	// URL is the callback URL the receiver served (one per shard; a merge keeps the first).
	URL string `json:"url,omitempty"`
	// Callbacks counts every POST to the webhook path.
	Callbacks int64 `json:"callbacks"`
	Accepted  int64 `json:"accepted"`
	// Malformed: a body that is not a JSON object with a messages list (answered 400).
	Malformed int64 `json:"malformed"`
	// TooLarge: a body over the size limit (answered 413, not read).
	TooLarge int64 `json:"too_large"`
	// Faulted and Stalled: answered 500 by the receiver's fault option (webhook.fault_rate), at
	// once or after holding the answer.
	Faulted int64 `json:"faulted"`
	Stalled int64 `json:"stalled"`
	// Abandoned: the body could not be read whole (the sender went away, or was too slow).
	Abandoned int64 `json:"abandoned"`
	// BadAuth counts the callbacks (of any outcome) without a well-formed
	// `auth-v2/{accessKey}/{timestamp}/{SignedHeaders}` Authorization header.
	BadAuth int64 `json:"bad_auth"`
	// NotCallbacks counts requests to other paths or with another method than POST.
	NotCallbacks int64 `json:"not_callbacks"`
	// Messages are the messages of accepted callbacks by outcome; Kinds by sourceType.
	Messages PushMessages `json:"messages"`
	Kinds    PushKinds    `json:"kinds"`
}

// PushMessages counts pushed messages by outcome.
type PushMessages struct {
	Matched int64 `json:"matched"`
	// Unknown: its `to` is no customer of this run (of this shard, in a sharded run).
	Unknown int64 `json:"unknown"`
	// Duplicated: the same message again for one customer (the platform retried).
	Duplicated int64 `json:"duplicated"`
	// Late: the customer's session had ended.
	Late int64 `json:"late"`
	// Overflowed: of Matched, those the customer never took, because 64 pushed messages already
	// waited for it (the oldest went); not an outcome of its own, so not in Total.
	Overflowed int64 `json:"overflowed"`
}

// PushKinds counts pushed messages by sourceType.
type PushKinds struct {
	Robot  int64 `json:"robot"`
	Agent  int64 `json:"agent"`
	System int64 `json:"system"`
	Other  int64 `json:"other"`
}

// Total is the number of messages.
func (m PushMessages) Total() int64 { return m.Matched + m.Unknown + m.Duplicated + m.Late }

// Total is the number of messages.
func (k PushKinds) Total() int64 { return k.Robot + k.Agent + k.System + k.Other }

// validatePush checks the push section's partitions.
func (v *validator) push(r *Report) {
	p := r.Push
	if p == nil {
		return
	}
	for _, c := range []struct {
		k string
		n int64
	}{{"callbacks", p.Callbacks}, {"accepted", p.Accepted}, {"malformed", p.Malformed}, {"too_large", p.TooLarge},
		{"faulted", p.Faulted}, {"stalled", p.Stalled}, {"abandoned", p.Abandoned}, {"bad_auth", p.BadAuth},
		{"not_callbacks", p.NotCallbacks}, {"messages.matched", p.Messages.Matched}, {"messages.unknown", p.Messages.Unknown},
		{"messages.duplicated", p.Messages.Duplicated}, {"messages.late", p.Messages.Late},
		{"messages.overflowed", p.Messages.Overflowed}, {"kinds.robot", p.Kinds.Robot},
		{"kinds.agent", p.Kinds.Agent}, {"kinds.system", p.Kinds.System}, {"kinds.other", p.Kinds.Other}} {
		v.nonneg("push."+c.k, c.n)
	}
	if sum := p.Accepted + p.Malformed + p.TooLarge + p.Faulted + p.Stalled + p.Abandoned; sum != p.Callbacks {
		v.fail("push.callbacks", "%d != accepted + malformed + too_large + faulted + stalled + abandoned (%d)", p.Callbacks, sum)
	}
	if p.Messages.Overflowed > p.Messages.Matched {
		v.fail("push.messages.overflowed", "%d is more than the %d matched messages", p.Messages.Overflowed, p.Messages.Matched)
	}
	if p.BadAuth > p.Callbacks {
		v.fail("push.bad_auth", "%d is more than the %d callbacks", p.BadAuth, p.Callbacks)
	}
	if p.Messages.Total() != p.Kinds.Total() {
		v.fail("push.messages", "%d messages by outcome, %d by kind: both count every message of an accepted callback", p.Messages.Total(), p.Kinds.Total())
	}
}
