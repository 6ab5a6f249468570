package report

// API CONTRACT (fixed by the integrator; the report helper implements it in recorder.go
// and deletes this file).
//
// Recorder owns every histogram and counter of a run. Not safe for concurrent use:
// the runner gives it to one collector goroutine. Recording allocates nothing.
//
//	func NewRecorder(opts RecorderOptions) *Recorder   // opts: Start time.Time, Interval time.Duration (1s)
//	func (r *Recorder) Group(endpoint, controlType string) GroupID   // registers or finds; not hot
//	func (r *Recorder) StepGroup(name string) GroupID                // a named step's group
//	func (r *Recorder) Record(s *Sample)
//	func (r *Recorder) Arrival(t int64)                // t: ns since start
//	func (r *Recorder) Dropped(t int64)
//	func (r *Recorder) SessionStarted(t int64)
//	func (r *Recorder) SessionEnded(t int64, o Outcome, duration int64)  // Completed/Failed/Interrupted
//	func (r *Recorder) Reply(t int64, latency int64)   // CHAT sent -> first ROBOT/AGENT answer seen
//	func (r *Recorder) AgentJoined(t int64, latency int64)
//	func (r *Recorder) ReplyTimeout(t int64)
//	func (r *Recorder) SetActive(n int64)               // live customers, for the time series
//	func (r *Recorder) Tick(t int64)                    // closes finished intervals (call at least every second)
//	func (r *Recorder) Live() LiveStats                 // totals, rps over last interval, p99 so far, active
//	func (r *Recorder) Finish(end time.Time, meta Meta) *Report  // meta: scenario, seed, target, stages, text, reason
