package kv

// Session numbers the commands of one client. A client sends each command
// Next returns until it has an answer, retrying the same Command (same
// seq) after a timeout or an unknown outcome, and only then asks for the
// next. It is not safe for concurrent use: a session has one command in
// flight at a time.
type Session struct {
	client uint64
	seq    uint64
}

// NewSession returns the session of client, which must not be zero and
// must not have been used before (a client that restarts takes a new id).
func NewSession(client uint64) *Session {
	if client == 0 {
		panic("kv: client id 0 is reserved for no session")
	}
	return &Session{client: client}
}

// Client returns the session's client id.
func (s *Session) Client() uint64 { return s.client }

// Next returns c stamped with the session's client and its next sequence
// number.
func (s *Session) Next(c Command) Command {
	s.seq++
	c.Client, c.Seq = s.client, s.seq
	return c
}
