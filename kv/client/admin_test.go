package client

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAdminChangeIsNotRetriedOnAnUnknownOutcomeAndErrorsAreClassified(t *testing.T) {
	codes := map[string]struct {
		status int
		code   string
		want   error
	}{
		"/admin/add-learner": {503, CodeOutcomeUnknown, ErrOutcomeUnknown},
		"/admin/promote":     {409, CodeNotCaughtUp, ErrNotCaughtUp},
		"/admin/demote":      {409, CodeInFlight, ErrInFlight},
		"/admin/remove":      {404, CodeUnknownNode, ErrUnknownNode},
		"/admin/membership":  {400, CodeNoVoters, ErrNoVoters},
	}
	var calls atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		c := codes[r.URL.Path]
		writeJSON(w, c.status, ErrorAnswer{Error: "refused", Code: c.code})
	}))
	defer srv.Close()
	cl, err := New([]string{srv.URL}, 1)
	require.NoError(t, err)
	defer cl.Close()
	ctx := context.Background()
	calls.Store(0)
	_, err = cl.AddLearner(ctx, 4, "127.0.0.1:7004")
	assert.ErrorIs(t, err, ErrOutcomeUnknown)
	assert.Equal(t, int32(1), calls.Load(), "a change that may have taken effect is not sent again")
	_, err = cl.Promote(ctx, 4)
	assert.ErrorIs(t, err, ErrNotCaughtUp)
	_, err = cl.Demote(ctx, 4)
	assert.ErrorIs(t, err, ErrInFlight)
	_, err = cl.RemoveNode(ctx, 4)
	assert.ErrorIs(t, err, ErrUnknownNode)
	assert.ErrorIs(t, err, ErrBadRequest)
	_, err = cl.ChangeMembership(ctx, []Change{{Type: ChangeRemove, ID: 1}})
	assert.ErrorIs(t, err, ErrNoVoters)
}

func TestAdminChangeAnswerIsDecoded(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "4", r.URL.Query().Get("id"))
		writeJSON(w, 200, Membership{ID: 1, Voters: []uint64{1, 2, 3}, Learners: []uint64{4}, Role: "Leader", Leader: 1,
			Match: map[uint64]uint64{1: 7, 4: 7}})
	}))
	defer srv.Close()
	cl, err := New([]string{srv.URL}, 1)
	require.NoError(t, err)
	defer cl.Close()
	m, err := cl.AddLearner(context.Background(), 4, "")
	require.NoError(t, err)
	assert.Equal(t, []uint64{4}, m.Learners)
	assert.Equal(t, uint64(7), m.Match[4])
}

func TestCallsAtOneNodeGoNowhereElseAndAreNotRetried(t *testing.T) {
	var leaderCalls atomic.Int32
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		leaderCalls.Add(1)
		writeJSON(w, 200, Answer{OK: true})
	}))
	defer leader.Close()
	var calls atomic.Int32
	code := CodeNotLeader
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls.Add(1)
		assert.Equal(t, "2", r.URL.Query().Get("to"))
		writeJSON(w, 503, ErrorAnswer{Error: "no", Code: code, Leader: 1, LeaderURL: leader.URL})
	}))
	defer follower.Close()
	cl, err := New([]string{leader.URL}, 1)
	require.NoError(t, err)
	defer cl.Close()

	for _, code = range []string{CodeNotLeader, CodeRetry, CodeOutcomeUnknown, CodeBadRequest} {
		calls.Store(0)
		err = cl.TransferAt(context.Background(), follower.URL, 2)
		assert.ErrorContains(t, err, "no", code)
		assert.Equal(t, int32(1), calls.Load(), "%s: asked once", code)
	}
	assert.ErrorIs(t, err, ErrBadRequest, "errors are classified")
	assert.Zero(t, leaderCalls.Load(), "a not-leader answer is not followed")

	follower.Close()
	err = cl.TransferAt(context.Background(), follower.URL, 2)
	assert.ErrorContains(t, err, "/admin/transfer", "no answer: the error names the call")
	assert.NotErrorIs(t, err, ErrOutcomeUnknown)
}

func TestAddPeerEscapesTheAddressAndMembershipAtDecodes(t *testing.T) {
	const addr = "[::1]:7004&id=9"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/admin/peer":
			assert.Equal(t, []string{"4"}, r.URL.Query()["id"])
			assert.Equal(t, addr, r.URL.Query().Get("addr"))
			writeJSON(w, 200, Answer{OK: true})
		case "/admin/membership":
			writeJSON(w, 200, Membership{ID: 2, Voters: []uint64{1, 2, 3}, Role: "Follower", Leader: 1})
		}
	}))
	defer srv.Close()
	cl, err := New([]string{"http://127.0.0.1:1"}, 1)
	require.NoError(t, err)
	defer cl.Close()
	require.NoError(t, cl.AddPeer(context.Background(), srv.URL, 4, addr))
	m, err := cl.MembershipAt(context.Background(), srv.URL+"/")
	require.NoError(t, err)
	assert.Equal(t, uint64(2), m.ID)
	assert.Equal(t, "Follower", m.Role, "the node's own view, not the leader's")
}
