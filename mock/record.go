package mock

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"sync"

	"ccload/ccapi"
)

// recorder appends accepted send requests as JSON lines, the shape a production
// gateway log has: the sendMsgReq fields plus received_ms. Safe for concurrent use.
type recorder struct {
	mu     sync.Mutex // guards w, err and closed
	w      *bufio.Writer
	err    error
	closed bool // flushed by Close: the caller may close the underlying writer
}

func newRecorder(w io.Writer) *recorder {
	return &recorder{w: bufio.NewWriterSize(w, 64<<10)}
}

// recordLine is one line of the record file.
type recordLine struct {
	*ccapi.SendMsgReq
	ReceivedMs int64 `json:"received_ms"`
}

// record writes req with its receive time; the first write error is logged once and kept for Close.
func (r *recorder) record(req *ccapi.SendMsgReq, receivedMs int64, logf func(string, ...any)) {
	b, err := json.Marshal(recordLine{SendMsgReq: req, ReceivedMs: receivedMs})
	if err != nil {
		return
	}
	b = append(b, '\n')
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.closed {
		return
	}
	if _, err := r.w.Write(b); err != nil {
		r.err = err
		logf(recordFailed, err)
	}
}

// recordFailed is the mock's log line when writing Options.Record fails (Logf's format).
const recordFailed = "mock: recording the received requests failed, so recording stopped: %v"

// flush writes what is buffered, ends recording and returns the first error seen.
func (r *recorder) flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.closed = true
	if err := r.w.Flush(); err != nil && r.err == nil {
		r.err = err
	}
	return r.err
}

// flushNow writes what is buffered without ending recording; it returns an
// error once recording has failed or ended, which stops the periodic flush.
func (r *recorder) flushNow() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.err != nil || r.closed {
		return errRecordEnded
	}
	if err := r.w.Flush(); err != nil {
		r.err = err
		return err
	}
	return nil
}

var errRecordEnded = errors.New("mock: recording ended")
