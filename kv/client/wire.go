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

// Error codes of the admin calls for membership changes.
const (
	// CodeUnknownNode (HTTP 404): the node to remove, promote or demote is
	// not a member.
	CodeUnknownNode = "unknown_node"
	// CodeNoVoters (HTTP 400): the change would leave no voters.
	CodeNoVoters = "no_voters"
	// CodeInFlight (HTTP 409): an earlier change is not done yet, or the
	// leader has not committed an entry of its term. Nothing changed;
	// retry later.
	CodeInFlight = "in_flight"
	// CodeNotCaughtUp (HTTP 409): the learner to promote lags too far
	// behind. Nothing changed; retry once it has caught up.
	CodeNotCaughtUp = "not_caught_up"
)

// Change types of a ChangeRequest.
const (
	ChangeAddVoter   = "add_voter"
	ChangeAddLearner = "add_learner"
	ChangeRemove     = "remove"
)

// Change is one node's change in a ChangeRequest.
type Change struct {
	// Type is ChangeAddVoter, ChangeAddLearner or ChangeRemove.
	Type string `json:"type"`
	ID   uint64 `json:"id"`
}

// ChangeRequest is the body of POST /admin/membership: changes made
// together, through one joint configuration if they change the voters.
type ChangeRequest struct {
	Changes []Change `json:"changes"`
}

// Membership is the body of a successful admin answer: the configuration
// in effect at the node that answered, and, when it leads, how far each
// member's log is known to match its own (Match, by node ID).
type Membership struct {
	ID             uint64            `json:"id"`
	Voters         []uint64          `json:"voters"`
	VotersOutgoing []uint64          `json:"voters_outgoing,omitempty"`
	Learners       []uint64          `json:"learners,omitempty"`
	Role           string            `json:"role"`
	Leader         uint64            `json:"leader"`
	Term           uint64            `json:"term"`
	Commit         uint64            `json:"commit"`
	Match          map[uint64]uint64 `json:"match,omitempty"`
}
