package mock

// NewUnstarted validates opts and returns a server that listens on nothing: the caller serves
// Handler on a listener of its own (tests serve it in memory, inside a synctest bubble, so the
// mock's time is the bubble's fake time too). Close stops its scheduler as for NewServer.
func NewUnstarted(opts Options) (*Server, error) { return newServer(opts) }
