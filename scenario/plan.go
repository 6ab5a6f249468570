package scenario

import (
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"ccload/ccapi"
)

// Plan is what a scenario will ask of its target, estimated from the file alone: the session
// mix, the requests one session of each shape sends, and the peak request rate. `ccload
// validate` prints it so a user can size a test before sending anything.
//
// The estimate assumes a prompt platform: think times count their mean (bounded
// distributions: the mean of fixed-seed draws); await_reply lasts one poll interval (the
// answer is seen on the next poll; at most the timeout), or nothing in a push session
// (`delivery: push`: the answer is pushed as it is made, no poll interval to wait), and await_agent none (an
// agent is free: the queryQueueInfo asked as it begins says so), so a slow robot or an agent
// queue makes real sessions longer, up to their await timeouts, with one more queryQueueInfo
// per queue_interval waited; polls are the time spent connected divided by the poll interval; a repeat multiplies its body by the mean count; request
// latency is not counted. tokenByAkSk is shared by the process and not counted per session.
type Plan struct {
	Name string
	// Target is where requests go, for display: "the embedded mock" or the URL without credentials.
	Target   string
	Model    Model
	Duration time.Duration
	Sessions []SessionPlan
	// Mix is the weighted average session of the mix.
	Mix SessionPlan
	// PeakArrivalRate is sessions started per second at the peak: the open model's peak rate
	// (capped by max_customers when Capped), or the closed model's customers / session cycle.
	PeakArrivalRate float64
	// PeakCustomers is the customers alive at the peak: the closed model's stage level, or the
	// open model's rate × mean session duration (Little's law), capped by max_customers.
	PeakCustomers float64
	// Capped is set when max_customers limits the open model at its peak (arrivals beyond are dropped).
	Capped bool
	// ExpectedSessions is the sessions the whole run starts.
	ExpectedSessions float64
	// PeakRPS is the requests per second at the peak (all endpoints).
	PeakRPS float64
	// Thresholds are the names of the scenario's thresholds, in file order.
	Thresholds []string
	// LatencyBound is set for a closed model whose sessions have no think time or pause:
	// its request rate is set by the target's latency, so PeakRPS is not estimated (0).
	LatencyBound bool
	// Push names the sessions with `delivery: push`, in file order, so a user sees which
	// sessions never poll and where the platform must deliver to (Webhook: listen address and path).
	Push    []string
	Webhook string
}

// SessionPlan is one session shape of a Plan.
type SessionPlan struct {
	Name string
	// Weight is as written; Share is the weight over the sum of weights.
	Weight, Share float64
	// Duration is the expected session duration when answers come promptly (see Plan).
	Duration time.Duration
	// Requests per session by endpoint and controlType, in endpoint then controlType order.
	Requests []PlanRequest
	// Total is the requests per session over all endpoints.
	Total float64
}

// PlanRequest is the expected number of calls of one endpoint (and controlType, for sends) per session.
type PlanRequest struct {
	Endpoint    ccapi.Endpoint
	ControlType ccapi.ControlType
	PerSession  float64
}

type reqKey struct {
	ep ccapi.Endpoint
	ct ccapi.ControlType
}

// Plan estimates what the scenario asks of its target.
func (s *Scenario) Plan() Plan {
	p := Plan{Name: s.Name, Target: "the embedded mock", Model: s.Load.Model, Duration: s.Load.Duration()}
	if s.Target.URL != "" {
		p.Target = RedactURL(s.Target.URL)
	}
	var wsum float64
	for _, ss := range s.Sessions {
		wsum += ss.Weight
	}
	mix := map[reqKey]float64{}
	var mixDur float64
	for _, ss := range s.Sessions {
		sp, counts, secs := s.sessionPlan(ss)
		if wsum > 0 {
			sp.Share = ss.Weight / wsum
		}
		for k, v := range counts {
			mix[k] += v * sp.Share
		}
		mixDur += secs * sp.Share
		p.Sessions = append(p.Sessions, sp)
	}
	p.Mix = SessionPlan{Name: "mix", Weight: wsum, Share: 1, Duration: secDur(mixDur)}
	p.Mix.Requests, p.Mix.Total = sortedRequests(mix)

	for _, th := range s.Thresholds {
		p.Thresholds = append(p.Thresholds, th.Name)
	}
	for _, ss := range s.Sessions {
		if ss.Push {
			p.Push = append(p.Push, ss.Name)
		}
	}
	if len(p.Push) > 0 {
		listen, path := s.Webhook.Listen, s.Webhook.Path
		if listen == "" {
			listen = "127.0.0.1:0"
		}
		if path == "" {
			path = DefaultWebhookPath
		}
		p.Webhook = listen + path
	}
	peak := s.Load.Peak()
	switch s.Load.Model {
	case Open:
		rate := peak
		p.PeakCustomers = rate * mixDur
		if m := float64(s.Load.MaxCustomers); m > 0 && p.PeakCustomers > m {
			p.Capped, p.PeakCustomers = true, m
			if mixDur > 0 {
				rate = m / mixDur
			}
		}
		p.PeakArrivalRate = rate
		p.PeakRPS = rate * p.Mix.Total
		for _, st := range s.Load.Stages {
			p.ExpectedSessions += st.Duration.Seconds() * (st.From + st.To) / 2
		}
	case Closed:
		p.PeakCustomers = peak
		cycle := mixDur
		if s.Load.Pause != nil {
			cycle += expectedValue(s.Load.Pause, false)
		}
		if cycle <= 0 {
			p.LatencyBound = true
			break
		}
		p.PeakArrivalRate = peak / cycle
		p.PeakRPS = p.PeakArrivalRate * p.Mix.Total
		for _, st := range s.Load.Stages {
			p.ExpectedSessions += st.Duration.Seconds() * (st.From + st.To) / 2 / cycle
		}
	}
	return p
}

func secDur(s float64) time.Duration {
	return time.Duration(s * float64(time.Second)).Round(time.Millisecond)
}

// sessionPlan estimates one session: requests by endpoint and controlType, and duration in seconds.
func (s *Scenario) sessionPlan(ss *Session) (SessionPlan, map[reqKey]float64, float64) {
	counts := map[reqKey]float64{}
	if s.Auth.CCMessagingToken == "" {
		counts[reqKey{ep: ccapi.EpApplyToken}] = 1
	}
	send := ccapi.EpSendAsync
	if s.Target.UseSend {
		send = ccapi.EpSend
	}
	poll := ss.PollInterval.Seconds()
	var total, connectedSecs float64
	connected := false
	var walk func(steps []*Step, mult float64)
	walk = func(steps []*Step, mult float64) {
		for _, st := range steps {
			var secs float64
			switch {
			case st.Send != nil:
				counts[reqKey{send, st.Send.ControlType}] += mult
				if st.Send.Upload != nil {
					counts[reqKey{ep: ccapi.EpUploadFileStream}] += mult
				}
				switch st.Kind {
				case StepConnect:
					connected = true
				case StepDisconnect:
					connected = false
				}
			case st.Kind == StepThink:
				secs = expectedValue(st.Think, false)
			case st.Kind == StepAwaitReply:
				if !ss.Push { // a push session's answer arrives as it is made: no poll interval
					secs = min(st.Timeout.Seconds(), poll)
				}
			case st.Kind == StepAwaitAgent:
				// A prompt platform has an agent free: the queryQueueInfo asked as the wait
				// begins answers "already with an agent", and the wait is over.
				counts[reqKey{ep: ccapi.EpQueryQueueInfo}] += mult
			case st.Kind == StepRepeat:
				walk(st.Steps, mult*expectedValue(st.Count, true))
			}
			total += secs * mult
			if connected {
				connectedSecs += secs * mult
			}
		}
	}
	walk(ss.Steps, 1)
	if ss.Poll && poll > 0 && connectedSecs > 0 {
		counts[reqKey{ep: ccapi.EpPoll}] = connectedSecs / poll
	}
	sp := SessionPlan{Name: ss.Name, Weight: ss.Weight, Duration: secDur(total)}
	sp.Requests, sp.Total = sortedRequests(counts)
	return sp, counts, total
}

func sortedRequests(m map[reqKey]float64) ([]PlanRequest, float64) {
	var out []PlanRequest
	var total float64
	for k, v := range m {
		if v <= 0 {
			continue
		}
		out = append(out, PlanRequest{Endpoint: k.ep, ControlType: k.ct, PerSession: v})
		total += v
	}
	order := map[ccapi.ControlType]int{}
	for i, c := range ccapi.ControlTypes {
		order[c] = i + 1
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Endpoint != out[j].Endpoint {
			return out[i].Endpoint < out[j].Endpoint
		}
		return order[out[i].ControlType] < order[out[j].ControlType]
	})
	return out, total
}

// expectedValue is a distribution's expected draw: analytic when unbounded, otherwise the mean
// of fixed-seed draws (so a plan is reproducible). With round, draws are rounded (repeat counts).
func expectedValue(d *Dist, round bool) float64 {
	if d == nil {
		return 0
	}
	if d.Kind == Constant {
		v := d.Sample(nil)
		if round {
			v = math.Round(v)
		}
		return v
	}
	if !round && !d.HasMin && !d.HasMax && d.Kind != Normal {
		return d.Mean()
	}
	rng := rand.New(rand.NewPCG(1, 2))
	const n = 20000
	var sum float64
	for range n {
		v := d.Sample(rng)
		if round {
			v = math.Round(v)
		}
		sum += v
	}
	return sum / n
}

// Write prints the plan as a short aligned table, indented by two spaces.
func (p Plan) Write(w io.Writer) error {
	var b strings.Builder
	model := "open model"
	if p.Model == Closed {
		model = "closed model"
	}
	sessions := "about " + num(p.ExpectedSessions) + " sessions"
	if p.LatencyBound {
		sessions = "sessions depend on latency"
	}
	fmt.Fprintf(&b, "  %s: %s for %s against %s, %s\n", p.Name, model, p.Duration, p.Target, sessions)
	switch {
	case p.LatencyBound:
		fmt.Fprintf(&b, "  peak: %s customers back to back without think time: the target's latency sets the request rate\n", num(p.PeakCustomers))
	case p.Model == Open:
		capped := ""
		if p.Capped {
			capped = " (capped by max_customers: more arrivals are dropped)"
		}
		fmt.Fprintf(&b, "  peak: %s sessions/s, ~%s concurrent customers%s -> ~%s requests/s\n", num(p.PeakArrivalRate), num(p.PeakCustomers), capped, num(p.PeakRPS))
	default:
		fmt.Fprintf(&b, "  peak: %s customers, ~%s sessions/s -> ~%s requests/s\n", num(p.PeakCustomers), num(p.PeakArrivalRate), num(p.PeakRPS))
	}
	if len(p.Push) > 0 {
		fmt.Fprintf(&b, "  delivery by webhook (push): %s, at %s; they never poll, and an await_reply counts no wait\n", strings.Join(p.Push, ", "), p.Webhook)
	}
	b.WriteString("\n")
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  SESSION\tSHARE\tDURATION\tENDPOINT\tCONTROL\tPER SESSION")
	rows := p.Sessions
	if len(p.Sessions) > 1 {
		rows = append(append([]SessionPlan{}, p.Sessions...), p.Mix)
	}
	for _, sp := range rows {
		name, share, dur := sp.Name, pct(sp.Share), sp.Duration.String()
		for _, r := range sp.Requests {
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", name, share, dur, r.Endpoint, r.ControlType, num(r.PerSession))
			name, share, dur = "", "", ""
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\t%s\t%s\n", name, share, dur, "total", "", num(sp.Total))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(p.Thresholds) > 0 {
		b.WriteString("\n  thresholds:\n")
		for _, name := range p.Thresholds {
			fmt.Fprintf(&b, "    %s\n", name)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// num prints a plan number with at most 3 significant decimals.
func num(v float64) string {
	switch {
	case v >= 100:
		return strconv.FormatFloat(math.Round(v), 'f', -1, 64)
	case v >= 10:
		return strconv.FormatFloat(math.Round(v*10)/10, 'f', -1, 64)
	default:
		return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
	}
}

func pct(v float64) string { return num(v*100) + "%" }
