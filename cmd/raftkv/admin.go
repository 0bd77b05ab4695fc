package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// The membership admin API. Every change goes to the leader (others answer
// 421 not_leader naming it) and is answered once it is in effect there, or
// when the request's time (config.RequestTimeout) runs out:
//
//	GET  /admin/membership                  the membership as this node sees it (Match only on the leader)
//	POST /admin/membership                  body {"changes": [{"type": "add_voter"|"add_learner"|"remove", "id": N}, ...]}
//	POST /admin/add-voter?id=N[&addr=A]     add N as a voter (a learner is promoted, as by promote)
//	POST /admin/add-learner?id=N[&addr=A]   add N as a learner
//	POST /admin/promote?id=N                make learner N a voter, once it has caught up
//	POST /admin/demote?id=N                 make voter N a learner
//	POST /admin/remove?id=N                 remove voter or learner N
//	POST /admin/peer?id=N&addr=A            tell this node that N's Raft address is A (no membership change)
//
// addr on add-voter and add-learner tells the answering leader N's Raft
// address at once; every other member that may lead later must be told
// with /admin/peer (or have N in its -peers). Success is 200 with the
// membership (client.Membership). Errors are client.ErrorAnswer: 400
// bad_request (malformed, or a change that can never be made), 404
// unknown_node, 400 no_voters, 409 in_flight (an earlier change is not done,
// or the leader has not committed in its term: retry later), 409
// not_caught_up (the learner lags past kv.DefaultPromoteLagEntriesMax),
// 421 not_leader, 503 retry (a transfer is under way, or the node is
// busy: nothing changed), 503 outcome_unknown (proposed, not yet in effect
// when the wait ended: read the membership before trying again).

// adminRoutes registers the membership admin endpoints.
func (s *server) adminRoutes(mux *http.ServeMux) {
	mux.HandleFunc("GET /admin/membership", s.handleMembership)
	mux.HandleFunc("POST /admin/membership", s.handleChange)
	mux.HandleFunc("POST /admin/add-voter", s.handleAdminOne(s.svc.AddVoter, true))
	mux.HandleFunc("POST /admin/add-learner", s.handleAdminOne(s.svc.AddLearner, true))
	mux.HandleFunc("POST /admin/promote", s.handleAdminOne(s.svc.Promote, false))
	mux.HandleFunc("POST /admin/demote", s.handleAdminOne(s.svc.Demote, false))
	mux.HandleFunc("POST /admin/remove", s.handleAdminOne(s.svc.RemoveNode, false))
	mux.HandleFunc("POST /admin/peer", s.handlePeer)
}

// bootstrapVoters is the raft.Config membership of a node: all of -peers,
// or none with -join (the node waits to be added by a leader).
func bootstrapVoters(cfg config) []uint64 {
	if cfg.Join {
		return nil
	}
	return sortedIDs(cfg.Peers)
}

// adminChangeBytesMax bounds the body of POST /admin/membership.
const adminChangeBytesMax = 64 << 10

func (s *server) handleMembership(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	m, err := s.svc.Membership(ctx)
	if err != nil {
		s.adminAnswer(w, fmt.Errorf("%w: %w", errNotStarted, err))
		return
	}
	writeJSON(w, http.StatusOK, s.membershipBody(m))
}

func (s *server) handleChange(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, adminChangeBytesMax))
	if err != nil {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("read body (at most %d bytes): %v", adminChangeBytesMax, err), 0)
		return
	}
	var req client.ChangeRequest
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest,
			fmt.Errorf(`membership change: want {"changes": [{"type": "add_voter"|"add_learner"|"remove", "id": N}]}: %v`, err), 0)
		return
	}
	changes, err := parseChanges(req.Changes)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
		return
	}
	cs, err := s.svc.ChangeMembership(ctx, changes)
	s.changed(ctx, w, cs, err)
}

// parseChanges turns the wire changes into the core's.
func parseChanges(cs []client.Change) ([]raft.ConfChangeSingle, error) {
	if len(cs) == 0 {
		return nil, errors.New("membership change: no changes")
	}
	out := make([]raft.ConfChangeSingle, 0, len(cs))
	for _, c := range cs {
		var t raft.ConfChangeType
		switch c.Type {
		case client.ChangeAddVoter:
			t = raft.AddVoter
		case client.ChangeAddLearner:
			t = raft.AddLearner
		case client.ChangeRemove:
			t = raft.RemoveNode
		default:
			return nil, fmt.Errorf("membership change: type %q, want add_voter, add_learner or remove", c.Type)
		}
		if c.ID == 0 {
			return nil, errors.New("membership change: want an id > 0")
		}
		out = append(out, raft.ConfChangeSingle{Type: t, NodeID: c.ID})
	}
	return out, nil
}

// handleAdminOne serves a change of one node, ?id=N; with withAddr, an
// optional &addr= is the node's Raft address, added to this node's
// transport first (a no-op if the change is then refused, as the address
// is only where to send, and this node sends only to members).
func (s *server) handleAdminOne(change func(context.Context, uint64) (raft.ConfState, error), withAddr bool) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		q := r.URL.Query()
		id, err := strconv.ParseUint(q.Get("id"), 10, 64)
		if err != nil || id == 0 {
			s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("%s: want ?id=N with N > 0", r.URL.Path), 0)
			return
		}
		if addr := q.Get("addr"); addr != "" {
			if !withAddr {
				s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("%s takes no addr", r.URL.Path), 0)
				return
			}
			if err := s.addPeer(id, addr); err != nil {
				s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
				return
			}
		}
		cs, err := change(ctx, id)
		s.changed(ctx, w, cs, err)
	}
}

// handlePeer serves POST /admin/peer?id=N&addr=A.
func (s *server) handlePeer(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	id, err := strconv.ParseUint(q.Get("id"), 10, 64)
	if err != nil || id == 0 {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, errors.New("peer: want ?id=N&addr=host:port with N > 0"), 0)
		return
	}
	if err := s.addPeer(id, q.Get("addr")); err != nil {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
		return
	}
	writeJSON(w, http.StatusOK, client.Answer{OK: true})
}

// addPeer tells the transport that node id listens on addr.
func (s *server) addPeer(id uint64, addr string) error {
	if id == s.cfg.ID {
		return fmt.Errorf("peer: %d is this node", id)
	}
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return fmt.Errorf("peer: address %q: want host:port: %v", addr, err)
	}
	s.tr.AddPeer(id, addr)
	s.cfg.Logf("raftkv %d: admin: peer %d at %s", s.cfg.ID, id, addr)
	return nil
}

// changed answers a membership change: the membership now in effect, cs
// and what the node says of it now, or the error.
func (s *server) changed(ctx context.Context, w http.ResponseWriter, cs raft.ConfState, err error) {
	if err != nil {
		s.adminAnswer(w, err)
		return
	}
	m, err := s.svc.Membership(ctx)
	if err != nil {
		// In effect, but the node could not be asked again in time: the
		// configuration is all there is to say.
		m = node.Membership{}
	}
	m.ConfState = cs
	writeJSON(w, http.StatusOK, s.membershipBody(m))
}

// adminAnswer maps an admin error to a status and code; what is not
// particular to membership is answered as any request's error.
func (s *server) adminAnswer(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, kv.ErrUnknownNode):
		s.writeError(w, http.StatusNotFound, client.CodeUnknownNode, err, 0)
	case errors.Is(err, kv.ErrNoVoters):
		s.writeError(w, http.StatusBadRequest, client.CodeNoVoters, err, 0)
	case errors.Is(err, raft.ErrConfChangeInFlight):
		s.writeError(w, http.StatusConflict, client.CodeInFlight, err, 0)
	case errors.Is(err, kv.ErrNotCaughtUp):
		s.writeError(w, http.StatusConflict, client.CodeNotCaughtUp, err, 0)
	case errors.Is(err, raft.ErrConfChangeInvalid):
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
	case errors.Is(err, kv.ErrOutcomeUnknown) && !errors.Is(err, errNotStarted):
		var nle *raft.NotLeaderError
		leader := uint64(0)
		if errors.As(err, &nle) {
			leader = nle.Leader
		}
		s.writeError(w, http.StatusServiceUnavailable, client.CodeOutcomeUnknown,
			fmt.Errorf("%w; read GET /admin/membership before trying again", err), leader)
	default:
		s.answer(w, kv.Result{}, err)
	}
}

// membershipBody is m on the wire.
func (s *server) membershipBody(m node.Membership) client.Membership {
	return client.Membership{
		ID: s.cfg.ID, Voters: m.ConfState.Voters, VotersOutgoing: m.ConfState.VotersOutgoing,
		Learners: m.ConfState.Learners, Role: m.Role.String(), Leader: m.Lead, Term: m.Term,
		Commit: m.Commit, Match: m.Match,
	}
}
