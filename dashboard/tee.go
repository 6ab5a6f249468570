package dashboard

import (
	"bytes"
	"io"
	"strings"
	"sync"

	"ccload/report"
	"ccload/report/record"
)

// LineTee writes through to its writer and hands every complete non-empty line to publish
// (Server.StepLog). It is safe for concurrent use.
type LineTee struct {
	w       io.Writer
	publish func(string)

	mu  sync.Mutex // guards buf
	buf []byte
}

// Write passes p on, then publishes the lines it completed.
func (t *LineTee) Write(p []byte) (int, error) {
	n, err := t.w.Write(p)
	t.mu.Lock()
	t.buf = append(t.buf, p...)
	var lines []string
	for {
		i := bytes.IndexByte(t.buf, '\n')
		if i < 0 {
			break
		}
		if l := strings.TrimSpace(string(t.buf[:i])); l != "" {
			lines = append(lines, l)
		}
		t.buf = t.buf[i+1:]
	}
	t.mu.Unlock()
	for _, l := range lines {
		t.publish(l)
	}
	return n, err
}

// Join returns one Observer that hands every event to each of obs (nil ones left out), keeping the
// optional interfaces (record.SessionObserver, record.SnapshotObserver) of those that have them, so
// /metrics and the dashboard watch one run together. It returns nil for none and the Observer itself for one.
func Join(obs ...record.Observer) record.Observer {
	var j joined
	for _, o := range obs {
		if o == nil {
			continue
		}
		j.all = append(j.all, o)
		if so, ok := o.(record.SessionObserver); ok {
			j.sess = append(j.sess, so)
		}
		if so, ok := o.(record.SnapshotObserver); ok {
			j.snap = append(j.snap, so)
		}
	}
	switch {
	case len(j.all) == 0:
		return nil
	case len(j.all) == 1:
		return j.all[0]
	case len(j.snap) > 0:
		return &joinedSnap{j}
	}
	return &j
}

// joined fans events out; it is a SessionObserver (forwarding to those that are), never a
// SnapshotObserver, so a Recorder builds no snapshot that nobody wants.
type joined struct {
	all  []record.Observer
	sess []record.SessionObserver
	snap []record.SnapshotObserver
}

func (j *joined) Request(s *report.Sample, endpoint, controlType, step string) {
	for _, o := range j.all {
		o.Request(s, endpoint, controlType, step)
	}
}

func (j *joined) Arrival() {
	for _, o := range j.all {
		o.Arrival()
	}
}

func (j *joined) Dropped() {
	for _, o := range j.all {
		o.Dropped()
	}
}

func (j *joined) SessionEnded(oc report.Outcome) {
	for _, o := range j.all {
		o.SessionEnded(oc)
	}
}

func (j *joined) Active(n int64) {
	for _, o := range j.all {
		o.Active(n)
	}
}

func (j *joined) Reply(latency int64) {
	for _, o := range j.sess {
		o.Reply(latency)
	}
}

func (j *joined) AgentJoined(latency int64) {
	for _, o := range j.sess {
		o.AgentJoined(latency)
	}
}

func (j *joined) QueueInfo(position, estimate int64) {
	for _, o := range j.sess {
		o.QueueInfo(position, estimate)
	}
}

// joinedSnap is joined for a set that includes a SnapshotObserver.
type joinedSnap struct{ joined }

func (j *joinedSnap) Snapshot(snap *report.Report) {
	for _, o := range j.snap {
		o.Snapshot(snap)
	}
}

var (
	_ record.SessionObserver  = (*joined)(nil)
	_ record.SnapshotObserver = (*joinedSnap)(nil)
)
