package runner

import (
	"strconv"
	"strings"
	"sync"

	"ccload/scenario"
)

// sessions is the run's one compiler of session programs, each with a stable ID: the
// scenario's sessions are compiled at setup as IDs 0..n-1 (their index in the scenario); a
// streamed session (Config.Source, or a Plan arrival's own Sess) is compiled when it first
// arrives and gets the next ID. The copies of a streamed session (ccload replay --scale)
// arrive one after another and share its one program. It also names the places steps fail
// (site), so failure_reasons name a streamed session's session and step like a scenario's.
type sessions struct {
	stepIndex map[*scenario.Step]int32 // step → named-step index (-1 unnamed)
	progs     []*program               // the scenario's sessions, by ID

	// Streamed sessions, compiled on the producer goroutine: the last one and its program.
	lastSess *scenario.Session
	lastProg *program
	nextID   int32

	mu    sync.Mutex // guards sites, names (failure paths only)
	sites map[siteKey]int32
	names [][2]string // by site: session, step
}

// siteKey is where a step failed: a scenario session's op (prog ≥ 0), or a streamed session's
// op by its session's name and step kind (prog -1: streamed programs are many, their shapes few).
type siteKey struct {
	prog int32
	name string
	op   int32
	kind scenario.StepKind
	data bool // no op: the session could not start for want of data
}

func newSessions(sc *scenario.Scenario, stepIndex map[*scenario.Step]int32) *sessions {
	s := &sessions{stepIndex: stepIndex, sites: map[siteKey]int32{}}
	for i, ss := range sc.Sessions {
		p := compile(ss, stepIndex)
		p.id = int32(i)
		s.progs = append(s.progs, p)
	}
	s.nextID = int32(len(s.progs))
	return s
}

// streamed returns the program of a session that is not the scenario's, compiling it once.
// Only the producer calls it.
func (s *sessions) streamed(sess *scenario.Session) *program {
	if sess != s.lastSess {
		s.lastSess, s.lastProg = sess, compile(sess, s.stepIndex)
		s.lastProg.id, s.lastProg.streamed = s.nextID, true
		s.nextID++
	}
	return s.lastProg
}

// site is the ID of the place w says a session of p failed, registered on first use (any
// goroutine; failure paths only).
func (s *sessions) site(p *program, w why) int32 {
	if p == nil {
		return -1
	}
	k := siteKey{prog: p.id, op: w.op, data: w.kind == whyData}
	if k.data {
		k.op = -1
	}
	if p.streamed {
		k.prog, k.name = -1, p.sess.Name
		if k.op >= 0 && int(k.op) < len(p.ops) {
			k.kind = p.ops[k.op].step.Kind
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	id, ok := s.sites[k]
	if !ok {
		id = int32(len(s.names))
		sess, step := failedStep(p, w)
		s.names = append(s.names, [2]string{sess, step})
		s.sites[k] = id
	}
	return id
}

// siteNames names site id: its session and step, as failure_reasons list them.
func (s *sessions) siteNames(id int32) (session, step string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if id < 0 || int(id) >= len(s.names) {
		return "?", "?"
	}
	return s.names[id][0], s.names[id][1]
}

// failedStep names the session and the step of a failure of a session of p.
func failedStep(p *program, w why) (session, step string) {
	switch {
	case w.kind == whyData:
		return p.sess.Name, "-"
	case w.op < 0 || int(w.op) >= len(p.ops):
		return p.sess.Name, "applyToken"
	}
	st := p.ops[w.op].step
	if st.Name != "" {
		return p.sess.Name, "step:" + st.Name
	}
	if p.streamed {
		// A streamed session's steps are flat and shared between sessions (their paths are
		// those of the session they were compiled in): its op is its step.
		return p.sess.Name, "steps[" + strconv.Itoa(int(w.op)) + "] " + st.Kind.String()
	}
	path := st.Path
	if i := strings.Index(path, "].steps["); i >= 0 && strings.HasPrefix(path, "sessions[") {
		path = path[i+2:] // the session is its own column
	}
	return p.sess.Name, path + " " + st.Kind.String()
}
