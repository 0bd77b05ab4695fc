package client

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
)

// Errors of the admin calls for membership changes (see cmd/raftkv).
var (
	// ErrUnknownNode is wrapped, with ErrBadRequest, when the node to
	// remove, promote or demote is not a member.
	ErrUnknownNode = errors.New("client: unknown node")
	// ErrNoVoters is wrapped, with ErrBadRequest, when the change would
	// leave no voters.
	ErrNoVoters = errors.New("client: the change would leave no voters")
	// ErrInFlight is wrapped when an earlier change is not done yet, or
	// the leader has not yet committed an entry of its term. Nothing
	// changed: retry later.
	ErrInFlight = errors.New("client: a membership change is in flight")
	// ErrNotCaughtUp is wrapped when the learner to promote lags too far
	// behind. Nothing changed: retry once it has caught up.
	ErrNotCaughtUp = errors.New("client: learner not caught up")
	// ErrOutcomeUnknown is wrapped when a membership change may or may
	// not have taken effect: the server's wait ended first, or the answer
	// was lost. Admin changes are not retried on it, as a second try of a
	// change that took effect is refused; read Membership instead.
	ErrOutcomeUnknown = errors.New("client: outcome unknown")
)

// Membership returns the membership as the node at the leader URL (as
// best known) sees it; from the leader, with each member's Match.
func (c *Client) Membership(ctx context.Context) (Membership, error) {
	var m Membership
	err := c.call(ctx, http.MethodGet, "/admin/membership", url.Values{}, nil, &m, true)
	return m, err
}

// AddVoter adds node id as a voter and waits until the change is in
// effect at the leader. addr, if not empty, is the node's Raft address,
// which the leader learns at once (see AddPeer for the others).
func (c *Client) AddVoter(ctx context.Context, id uint64, addr string) (Membership, error) {
	return c.admin(ctx, "/admin/add-voter", id, addr)
}

// AddLearner adds node id as a learner; addr is as for AddVoter.
func (c *Client) AddLearner(ctx context.Context, id uint64, addr string) (Membership, error) {
	return c.admin(ctx, "/admin/add-learner", id, addr)
}

// Promote makes learner id a voter, once it has caught up (ErrNotCaughtUp
// until then).
func (c *Client) Promote(ctx context.Context, id uint64) (Membership, error) {
	return c.admin(ctx, "/admin/promote", id, "")
}

// Demote makes voter id a learner.
func (c *Client) Demote(ctx context.Context, id uint64) (Membership, error) {
	return c.admin(ctx, "/admin/demote", id, "")
}

// RemoveNode removes voter or learner id.
func (c *Client) RemoveNode(ctx context.Context, id uint64) (Membership, error) {
	return c.admin(ctx, "/admin/remove", id, "")
}

// ChangeMembership makes changes together and waits until they are in
// effect at the leader.
func (c *Client) ChangeMembership(ctx context.Context, changes []Change) (Membership, error) {
	body, err := json.Marshal(ChangeRequest{Changes: changes})
	if err != nil {
		return Membership{}, err
	}
	var m Membership
	err = c.call(ctx, http.MethodPost, "/admin/membership", url.Values{}, body, &m, false)
	return m, err
}

// AddPeer tells the node at baseURL (one node, not the leader) that node
// id's Raft address is addr. Every member that may lead must know the
// address of every other member; this changes no membership.
func (c *Client) AddPeer(ctx context.Context, baseURL string, id uint64, addr string) error {
	q := url.Values{"id": {strconv.FormatUint(id, 10)}, "addr": {addr}}
	return c.callAt(ctx, baseURL, http.MethodPost, "/admin/peer", q, nil)
}

// TransferAt asks the node at baseURL, and no other, to hand leadership
// to node to. Unlike Transfer it follows no not-leader answer and retries
// nothing: an error answer or a lost one is returned as is, for a caller
// that means that node (a nemesis transferring from the leader it saw).
func (c *Client) TransferAt(ctx context.Context, baseURL string, to uint64) error {
	q := url.Values{"to": {strconv.FormatUint(to, 10)}}
	return c.callAt(ctx, baseURL, http.MethodPost, "/admin/transfer", q, nil)
}

// MembershipAt returns the membership as the node at baseURL sees it,
// asked once.
func (c *Client) MembershipAt(ctx context.Context, baseURL string) (Membership, error) {
	var m Membership
	err := c.callAt(ctx, baseURL, http.MethodGet, "/admin/membership", url.Values{}, &m)
	return m, err
}

// callAt makes one attempt at the node at baseURL, and decodes a
// successful answer into out unless out is nil. An error answer is
// classified as by call.
func (c *Client) callAt(ctx context.Context, baseURL, method, path string, q url.Values, out any) error {
	base := normalizeURL(baseURL)
	data, eb, err := c.attempt(ctx, method, base+path+"?"+q.Encode(), nil)
	switch {
	case err != nil:
		return fmt.Errorf("client: %s %s%s: %w", method, base, path, err)
	case eb != nil:
		return answerError(method, path, eb)
	case out != nil:
		if err := json.Unmarshal(data, out); err != nil {
			return fmt.Errorf("%s: bad answer: %v", base, err)
		}
	}
	return nil
}

func (c *Client) admin(ctx context.Context, path string, id uint64, addr string) (Membership, error) {
	q := url.Values{"id": {strconv.FormatUint(id, 10)}}
	if addr != "" {
		q.Set("addr", addr)
	}
	var m Membership
	err := c.call(ctx, http.MethodPost, path, q, nil, &m, false)
	return m, err
}
