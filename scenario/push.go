package scenario

import (
	"net"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// DefaultWebhookPath is the path the platform POSTs pushed messages to.
const DefaultWebhookPath = "/webhooks/v1/messages"

// Webhook is the `webhook:` mapping: where ccload's receiver listens in push mode, and its
// fault option (to test the platform's retries).
type Webhook struct {
	// Listen is the receiver's address, host:port (default 127.0.0.1:0: a free loopback port,
	// fine for the embedded mock; a platform needs a fixed, reachable one).
	Listen string
	// Path is the callback path (default DefaultWebhookPath).
	Path string
	// MaxBody bounds a callback's body in bytes (0: the receiver's default, 64 KiB).
	MaxBody int
	// FaultRate is the share (0..1) of callbacks answered with Fault instead of being taken.
	FaultRate float64
	// Fault is "500" (answer HTTP 500 at once) or "stall" (hold the answer StallFor, then 500).
	Fault    string
	StallFor time.Duration
}

// UsesPush reports whether any session of the scenario has `delivery: push`.
func (sc *Scenario) UsesPush() bool {
	for _, s := range sc.Sessions {
		if s.Push {
			return true
		}
	}
	return false
}

// delivery reads `delivery: poll | push`.
func (l *loader) delivery(n *yaml.Node, path string) bool {
	v, ok := l.enum(n, path, "poll", "push")
	return ok && v == "push"
}

// sessionDelivery applies a session's `delivery` (default: the target's): a push session never
// polls, so it refuses a `poll` key, which would mean nothing.
func (l *loader) sessionDelivery(n, poll *yaml.Node, path string, s *Session) {
	s.Push = l.sc.Target.Push
	if n != nil {
		s.Push = l.delivery(n, path)
	}
	if !s.Push {
		return
	}
	if poll != nil {
		l.errAt(poll, strings.TrimSuffix(path, "delivery")+"poll", "a push session (delivery: push) never polls: remove `poll`, or write delivery: poll")
	}
	s.Poll = false
}

// webhook compiles `webhook:`; absent: the defaults.
func (l *loader) webhook(n *yaml.Node) {
	w := &l.sc.Webhook
	w.Listen, w.Path, w.Fault, w.StallFor = "127.0.0.1:0", DefaultWebhookPath, "500", 2*time.Second
	if isNull(n) {
		return
	}
	f := l.mapping(n, "webhook", "listen", "path", "max_body", "fault_rate", "fault", "stall")
	if f == nil {
		return
	}
	if v := f.get("listen"); v != nil {
		if s, ok := l.str(v, "webhook.listen"); ok {
			if _, port, err := net.SplitHostPort(s); err != nil || port == "" {
				l.errAt(v, "webhook.listen", "%s is not host:port; write e.g. 127.0.0.1:9090, or 0.0.0.0:9090 to take the platform's callbacks from beyond loopback", shown(v))
			} else {
				w.Listen = s
			}
		}
	}
	if v := f.get("path"); v != nil {
		if s, ok := l.str(v, "webhook.path"); ok {
			if !strings.HasPrefix(s, "/") || strings.ContainsAny(s, "?# ") {
				l.errAt(v, "webhook.path", "%s is not a path; write e.g. %s", shown(v), DefaultWebhookPath)
			} else {
				w.Path = s
			}
		}
	}
	if v := f.get("max_body"); v != nil {
		if c, ok := l.int(v, "webhook.max_body"); ok {
			if c < 1024 || c > 64<<20 {
				l.errAt(v, "webhook.max_body", "must be from 1024 to %d bytes, got %s", 64<<20, shown(v))
			} else {
				w.MaxBody = int(c)
			}
		}
	}
	if v := f.get("fault_rate"); v != nil {
		if x, ok := l.float(v, "webhook.fault_rate"); ok {
			if x < 0 || x > 1 {
				l.errAt(v, "webhook.fault_rate", "must be a share between 0 and 1, got %s", shown(v))
			} else {
				w.FaultRate = x
			}
		}
	}
	if v := f.get("fault"); v != nil {
		if s, ok := l.enum(v, "webhook.fault", "500", "stall"); ok {
			w.Fault = s
		}
	}
	if v := f.get("stall"); v != nil {
		if d, ok := l.posDur(v, "webhook.stall"); ok {
			w.StallFor = d
		}
	}
	if !l.sc.UsesPush() {
		l.errAt(n, "webhook", "settings for push mode, but no session has delivery: push; add `delivery: push` to target: or to a session, or remove webhook:")
	}
}
