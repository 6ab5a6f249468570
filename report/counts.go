package report

// Add sums s into dst, reasons included: merges and capacity steps count sessions the same way.
func (dst *SessionCounts) Add(s SessionCounts) {
	dst.Arrivals += s.Arrivals
	dst.Started += s.Started
	dst.Completed += s.Completed
	dst.Failed += s.Failed
	dst.Interrupted += s.Interrupted
	dst.EndedByPlatform += s.EndedByPlatform
	dst.CutByGrace += s.CutByGrace
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
}
