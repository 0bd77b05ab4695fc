package client

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func TestClientFollowsNotLeaderToTheNamedLeader(t *testing.T) {
	leader := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 200, Answer{Value: "v", Found: true})
	}))
	defer leader.Close()
	follower := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, 421, ErrorAnswer{Error: "not leader", Code: CodeNotLeader, Leader: 2, LeaderURL: leader.URL})
	}))
	defer follower.Close()
	c, err := New([]string{follower.URL}, 1)
	require.NoError(t, err)
	defer c.Close()
	v, found, err := c.Get(context.Background(), "k", "")
	require.NoError(t, err)
	assert.Equal(t, "v", v)
	assert.True(t, found)
}

func TestClientRetriesAnUnknownOutcomeWithTheSameSeq(t *testing.T) {
	var mu sync.Mutex
	var seqs []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seqs = append(seqs, r.URL.Query().Get("client")+"/"+r.URL.Query().Get("seq"))
		n := len(seqs)
		mu.Unlock()
		if n == 2 {
			writeJSON(w, 503, ErrorAnswer{Error: "outcome unknown", Code: CodeOutcomeUnknown})
			return
		}
		writeJSON(w, 200, Answer{})
	}))
	defer srv.Close()
	c, err := New([]string{srv.URL}, 7)
	require.NoError(t, err)
	defer c.Close()
	ctx := context.Background()
	require.NoError(t, c.Put(ctx, "k", "a"))
	require.NoError(t, c.Put(ctx, "k", "b"))
	assert.Equal(t, []string{"7/1", "7/2", "7/2"}, seqs)
}

func TestClientGivesUpAfterAttemptsMax(t *testing.T) {
	var mu sync.Mutex
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		calls++
		mu.Unlock()
		writeJSON(w, 503, ErrorAnswer{Error: "no leader", Code: CodeRetry})
	}))
	defer srv.Close()
	c, err := New([]string{srv.URL}, 1)
	require.NoError(t, err)
	defer c.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	c.backoffMin, c.backoffMax = time.Millisecond, 5*time.Millisecond
	err = c.Delete(ctx, "k")
	require.ErrorIs(t, err, ErrRetriesExhausted)
	assert.Equal(t, AttemptsMax, calls)
}

func TestClientDoesNotRetryABadRequest(t *testing.T) {
	calls := 0
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		calls++
		writeJSON(w, 400, ErrorAnswer{Error: "bad mode", Code: CodeBadRequest})
	}))
	defer srv.Close()
	c, err := New([]string{srv.URL}, 1)
	require.NoError(t, err)
	defer c.Close()
	_, _, err = c.Get(context.Background(), "k", "psychic")
	require.ErrorIs(t, err, ErrBadRequest)
	assert.Contains(t, err.Error(), "bad mode")
	assert.Equal(t, 1, calls)
}

func TestNewRefusesNoURLsAndClientZero(t *testing.T) {
	_, err := New(nil, 1)
	assert.ErrorIs(t, err, ErrBadRequest)
	_, err = New([]string{"127.0.0.1:1"}, 0)
	assert.ErrorIs(t, err, ErrBadRequest)
}
