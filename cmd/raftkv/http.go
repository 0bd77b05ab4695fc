package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

const (
	// bodyBytesMax bounds a request body: the largest value plus room for
	// a CAS's JSON encoding of two values.
	bodyBytesMax = 2*kv.ValueBytesMax + 1024
	// requestTimeoutDefault bounds one client request. A write that times
	// out has an unknown outcome (503): retry it with the same session.
	requestTimeoutDefault = 3 * time.Second
	// defaultReadMode is the mode of a GET without ?mode=.
	defaultReadMode = kv.ReadIndex
)

// casBody is the body of POST /kv/{key}/cas.
type casBody struct {
	Expected string `json:"expected"`
	Value    string `json:"value"`
}

// statusBody is the answer of GET /status.
type statusBody struct {
	ID        uint64 `json:"id"`
	Term      uint64 `json:"term"`
	Role      string `json:"role"`
	Leader    uint64 `json:"leader"`
	LeaderURL string `json:"leader_url,omitempty"`
	Commit    uint64 `json:"commit"`
	Applied   uint64 `json:"applied"`
	LastIndex uint64 `json:"last_index"`
}

func (s *server) routes() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /kv/{key}", s.handleGet)
	mux.HandleFunc("PUT /kv/{key}", s.handleWrite(func(key, body string) (kv.Command, error) { return kv.Put(key, body), nil }))
	mux.HandleFunc("POST /kv/{key}/append", s.handleWrite(func(key, body string) (kv.Command, error) { return kv.Append(key, body), nil }))
	mux.HandleFunc("POST /kv/{key}/cas", s.handleWrite(func(key, body string) (kv.Command, error) {
		var b casBody
		if err := json.Unmarshal([]byte(body), &b); err != nil {
			return kv.Command{}, fmt.Errorf("cas body: want {\"expected\", \"value\"}: %v", err)
		}
		return kv.CAS(key, b.Expected, b.Value), nil
	}))
	mux.HandleFunc("DELETE /kv/{key}", s.handleWrite(func(key, _ string) (kv.Command, error) { return kv.Delete(key), nil }))
	mux.HandleFunc("POST /admin/transfer", s.handleTransfer)
	s.adminRoutes(mux)
	mux.HandleFunc("GET /status", s.handleStatus)
	if s.cfg.FaultHooks {
		mux.HandleFunc("POST /admin/fault/clock", s.handleClockRate)
	}
	return mux
}

func (s *server) handleGet(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	key := r.PathValue("key")
	mode := defaultReadMode
	if m := r.URL.Query().Get("mode"); m != "" {
		var err error
		if mode, err = kv.ParseReadMode(m); err != nil {
			s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
			return
		}
	}
	var res kv.Result
	var err error
	if mode == kv.ReadLog {
		res, err = s.svc.Do(ctx, s.oneOffSession().Next(kv.Get(key)))
	} else {
		res, err = s.read(ctx, key, mode)
	}
	s.answer(w, res, err)
}

// read serves a Get in mode through the Service's read paths.
func (s *server) read(ctx context.Context, key string, mode kv.ReadMode) (kv.Result, error) {
	// Validate the key as a command would be; the session is a stand-in.
	if err := kv.NewSession(1).Next(kv.Get(key)).Validate(); err != nil {
		return kv.Result{}, err
	}
	type outcome struct {
		res kv.Result
		err error
	}
	out := make(chan outcome, 1)
	err := s.svc.Node().Submit(ctx, func(*node.Node) {
		if err := s.svc.StartRead(key, mode, func(res kv.Result, err error) { out <- outcome{res, err} }); err != nil {
			out <- outcome{err: err}
		}
	})
	if err != nil {
		return kv.Result{}, fmt.Errorf("%w: %w", errNotStarted, err)
	}
	select {
	case o := <-out:
		return o.res, o.err
	case <-ctx.Done():
		return kv.Result{}, fmt.Errorf("%w: read: %w", errNotStarted, ctx.Err())
	}
}

// errNotStarted marks a failure after which nothing took effect: retry.
var errNotStarted = errors.New("not served")

func (s *server) handleWrite(build func(key, body string) (kv.Command, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
		defer cancel()
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, bodyBytesMax))
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			s.writeError(w, http.StatusRequestEntityTooLarge, client.CodeTooLarge,
				fmt.Errorf("body over bodyBytesMax (%d bytes)", bodyBytesMax), 0)
			return
		}
		if err != nil {
			s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("read body: %v", err), 0)
			return
		}
		cmd, err := build(r.PathValue("key"), string(body))
		if err != nil {
			s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
			return
		}
		if cmd, err = s.stamp(r, cmd); err != nil {
			s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
			return
		}
		if err := cmd.Validate(); err != nil {
			s.answer(w, kv.Result{}, err)
			return
		}
		res, err := s.svc.Do(ctx, cmd)
		s.answer(w, res, err)
	}
}

// stamp gives cmd the request's session (?client=&seq=), or a one-off one.
func (s *server) stamp(r *http.Request, cmd kv.Command) (kv.Command, error) {
	q := r.URL.Query()
	cs, ss := q.Get("client"), q.Get("seq")
	if cs == "" && ss == "" {
		return s.oneOffSession().Next(cmd), nil
	}
	client, err1 := strconv.ParseUint(cs, 10, 64)
	seq, err2 := strconv.ParseUint(ss, 10, 64)
	if err1 != nil || err2 != nil || client == 0 || seq == 0 {
		return cmd, fmt.Errorf("session: want both client and seq, integers > 0; got client=%q seq=%q", cs, ss)
	}
	cmd.Client, cmd.Seq = client, seq
	return cmd, nil
}

// oneOffSession returns a session used for one command only. One-off
// sessions take room in the bounded session table like any other
// (kv.DefaultSessionsMax): clients that retry should bring their own.
func (s *server) oneOffSession() *kv.Session {
	id := s.oneOffBase ^ (s.cfg.ID << 56) ^ s.oneOff.Add(1)
	if id == 0 {
		id = 1
	}
	return kv.NewSession(id)
}

func (s *server) handleTransfer(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	to, err := strconv.ParseUint(r.URL.Query().Get("to"), 10, 64)
	if err != nil || to == 0 {
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, fmt.Errorf("transfer: want ?to=N with N > 0"), 0)
		return
	}
	out := make(chan error, 1)
	if err := s.svc.Node().Submit(ctx, func(*node.Node) { out <- s.svc.TransferLeadership(to) }); err != nil {
		s.answer(w, kv.Result{}, fmt.Errorf("%w: %w", errNotStarted, err))
		return
	}
	select {
	case err = <-out:
	case <-ctx.Done():
		err = fmt.Errorf("%w: transfer: %w", kv.ErrOutcomeUnknown, ctx.Err())
	}
	s.answer(w, kv.Result{}, err)
}

func (s *server) handleStatus(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := context.WithTimeout(r.Context(), s.cfg.RequestTimeout)
	defer cancel()
	out := make(chan raft.BasicStatus, 1)
	if err := s.svc.Node().Submit(ctx, func(n *node.Node) { out <- n.BasicStatus() }); err != nil {
		s.answer(w, kv.Result{}, fmt.Errorf("%w: %w", errNotStarted, err))
		return
	}
	var st raft.BasicStatus
	select {
	case st = <-out:
	case <-ctx.Done():
		s.answer(w, kv.Result{}, fmt.Errorf("%w: status: %w", errNotStarted, ctx.Err()))
		return
	}
	writeJSON(w, http.StatusOK, statusBody{
		ID: st.ID, Term: st.Term, Role: st.Role.String(), Leader: st.Lead,
		LeaderURL: s.clientURL(st.Lead), Commit: st.Commit, Applied: st.Applied, LastIndex: st.LastIndex,
	})
}

// answer writes res, or err mapped to a status and code.
func (s *server) answer(w http.ResponseWriter, res kv.Result, err error) {
	if err == nil {
		writeJSON(w, http.StatusOK, client.Answer{Value: res.Value, Found: res.Found, OK: res.OK})
		return
	}
	var nle *raft.NotLeaderError
	switch {
	case errors.As(err, &nle):
		s.writeError(w, http.StatusMisdirectedRequest, client.CodeNotLeader, err, nle.Leader)
	case errors.Is(err, kv.ErrOutcomeUnknown):
		s.writeError(w, http.StatusServiceUnavailable, client.CodeOutcomeUnknown,
			fmt.Errorf("%w; retry with the same client and seq", err), 0)
	case errors.Is(err, errNotStarted), errors.Is(err, kv.ErrReadAborted), errors.Is(err, raft.ErrLeaseNotHeld),
		errors.Is(err, raft.ErrTransferInProgress), errors.Is(err, kv.ErrTooManyPending), errors.Is(err, node.ErrStopped):
		s.writeError(w, http.StatusServiceUnavailable, client.CodeRetry, err, 0)
	case errors.Is(err, kv.ErrValueTooLarge):
		s.writeError(w, http.StatusRequestEntityTooLarge, client.CodeTooLarge, err, 0)
	case errors.Is(err, kv.ErrStaleSequence), errors.Is(err, kv.ErrSessionExpired):
		s.writeError(w, http.StatusConflict, client.CodeSession, err, 0)
	case errors.Is(err, kv.ErrInvalidCommand), errors.Is(err, raft.ErrTransferRefused), errors.Is(err, raft.ErrLeaseDisabled):
		s.writeError(w, http.StatusBadRequest, client.CodeBadRequest, err, 0)
	default:
		s.writeError(w, http.StatusInternalServerError, client.CodeInternal, err, 0)
	}
}

func (s *server) writeError(w http.ResponseWriter, status int, code string, err error, leader uint64) {
	b := client.ErrorAnswer{Error: err.Error(), Code: code, Leader: leader}
	if leader != 0 {
		b.LeaderURL = s.clientURL(leader)
	}
	writeJSON(w, status, b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}
