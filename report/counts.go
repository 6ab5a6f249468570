package report

import "maps"

// Add sums s into dst, reasons included: merges and capacity steps count sessions the same way.
func (dst *SessionCounts) Add(s SessionCounts) {
	dst.Arrivals += s.Arrivals
	dst.Started += s.Started
	for _, o := range Outcomes {
		*dst.Of(o) += *s.Of(o)
	}
	dst.Dropped += s.Dropped
	for k, n := range s.DroppedBy {
		if dst.DroppedBy == nil {
			dst.DroppedBy = map[string]int64{}
		}
		dst.DroppedBy[k] += n
	}
}

// Add sums s into dst: every request outcome, so merged counts keep the invariant.
func (dst *RequestCounts) Add(s RequestCounts) {
	dst.Total += s.Total
	dst.OK += s.OK
	dst.AppErrors += s.AppErrors
	dst.HTTPErrors += s.HTTPErrors
	dst.TransportErrors += s.TransportErrors
	dst.ClientErrors += s.ClientErrors
	dst.Cut += s.Cut
	dst.NotSent += s.NotSent
	dst.UnknownReceipt += s.UnknownReceipt
	for k, n := range s.NotSentBy {
		if dst.NotSentBy == nil {
			dst.NotSentBy = map[string]int64{}
		}
		dst.NotSentBy[k] += n
	}
}

// OwnRequests sums the groups of ccload's own requests (kind teardown: the run's teardown and
// the abandon DISCONNECTs), which requests.total counts and overall does not.
func OwnRequests(r *Report) RequestCounts {
	var c RequestCounts
	for i := range r.Groups {
		if r.Groups[i].Kind == "teardown" {
			c.Add(r.Groups[i].RequestCounts)
		}
	}
	return c
}

// addCounts returns a + b.
func addCounts(a, b RequestCounts) RequestCounts {
	var c RequestCounts
	c.Add(a)
	c.Add(b)
	return c
}

// Equal reports whether c and o hold the same counts, reasons included (RequestCounts holds a
// map, so == does not compile).
func (c RequestCounts) Equal(o RequestCounts) bool {
	return c.Total == o.Total && c.OK == o.OK && c.AppErrors == o.AppErrors && c.HTTPErrors == o.HTTPErrors &&
		c.TransportErrors == o.TransportErrors && c.ClientErrors == o.ClientErrors && c.Cut == o.Cut &&
		c.NotSent == o.NotSent && maps.Equal(c.NotSentBy, o.NotSentBy) && c.UnknownReceipt == o.UnknownReceipt
}
