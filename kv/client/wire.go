package client

// The JSON of raftkv's HTTP API, shared by the server (cmd/raftkv) and this
// client so that the two cannot drift apart.

// Error codes of an ErrorAnswer. The client keys its retries on them.
const (
	CodeNotLeader      = "not_leader"
	CodeBadRequest     = "bad_request"
	CodeTooLarge       = "too_large"
	CodeSession        = "session"
	CodeOutcomeUnknown = "outcome_unknown"
	CodeRetry          = "retry"
	CodeInternal       = "internal"
)

// Answer is the body of a successful answer.
type Answer struct {
	Value string `json:"value"`
	Found bool   `json:"found"`
	OK    bool   `json:"ok"`
}

// ErrorAnswer is the body of an error answer. Leader and LeaderURL name
// the leader to redirect to, when known, with CodeNotLeader.
type ErrorAnswer struct {
	Error     string `json:"error"`
	Code      string `json:"code"`
	Leader    uint64 `json:"leader,omitempty"`
	LeaderURL string `json:"leader_url,omitempty"`
}
