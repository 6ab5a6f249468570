package scenario

// ParseSessions compiles more sessions in the context of sc (its channel defaults, data
// feeders and target rules), from data holding one top-level key, `sessions`, written as in a
// scenario file; name is the file name used in errors. ccload replay compiles each logged
// session this way while it streams a log, so a long log is never one scenario in memory.
// sc is not modified, and the sessions share its feeders.
func (sc *Scenario) ParseSessions(name string, data []byte) ([]*Session, error) {
	tmp := &Scenario{File: name, Target: sc.Target, Feeders: sc.Feeders}
	l := &loader{file: name, dir: ".", sc: tmp, scope: tmplScope{feeders: sc.Feeders}}
	root, ok := l.parseYAML(data)
	if ok {
		l.root = root
		if f := l.mapping(root, "", "sessions"); f != nil {
			if n := f.get("sessions"); n != nil {
				l.sessions(n, sc.chdef)
			} else {
				l.errAt(root, "sessions", "missing")
			}
		}
	}
	if len(l.errs) > 0 {
		return nil, l.errs.sorted()
	}
	return tmp.Sessions, nil
}
