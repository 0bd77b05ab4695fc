// Package client is a Go client of the raftkv HTTP API (see cmd/raftkv).
//
// A Client finds the leader by following not-leader answers, and retries a
// write with the same session and sequence number after a timeout or an
// unknown outcome, so a retried write takes effect at most once. Retries are
// bounded (AttemptsMax); when they run out the error wraps ErrRetriesExhausted
// and the last failure.
//
// A Client has one session: its writes go one at a time, in order.
// It is safe for concurrent use; concurrent writes wait for each other.
// Reads carry no session: a read with mode log gets a one-off session on
// the server, and a retried read is harmless.
//
// A write whose retries ran out may or may not have taken effect. If it
// was the session's first and never applied, the server refuses the later
// ones with ErrSession (the session "expired", see package kv): make a new
// Client with a new id.
package client

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/kv"
)

const (
	// AttemptsMax bounds the attempts of one operation, redirects included.
	AttemptsMax = 20
	// AttemptTimeout bounds one HTTP attempt.
	AttemptTimeout = 4 * time.Second
	// BackoffMin and BackoffMax bound the wait between attempts that failed
	// for want of a leader or a server (not redirects, which go at once).
	BackoffMin = 20 * time.Millisecond
	BackoffMax = 500 * time.Millisecond
	// ResponseBytesMax bounds the body of an answer read.
	ResponseBytesMax = 1 << 20
)

var (
	// ErrRetriesExhausted is wrapped when AttemptsMax attempts failed.
	ErrRetriesExhausted = errors.New("client: retries exhausted")
	// ErrBadRequest is wrapped when the server refused the request as
	// malformed (HTTP 400).
	ErrBadRequest = errors.New("client: bad request")
	// ErrTooLarge is wrapped when a body or value is over a limit (413).
	ErrTooLarge = errors.New("client: too large")
	// ErrSession is wrapped when the server refused the session: the
	// sequence number is stale or the session expired (409). A client
	// whose session expired must start again under a new client id.
	ErrSession = errors.New("client: session refused")
	// ErrServer is wrapped for any other failure the server reported.
	ErrServer = errors.New("client: server error")
)

// Client talks to a raftkv cluster.
type Client struct {
	urls []string
	http *http.Client
	// backoffMin and backoffMax are BackoffMin and BackoffMax; tests
	// shorten them.
	backoffMin, backoffMax time.Duration

	mu      sync.Mutex // serializes the session's commands
	session *kv.Session

	leaderMu sync.Mutex
	leader   string // URL last known to lead, or one to try
	next     int    // index in urls of the next URL to try
}

// New returns a Client of the cluster whose members serve clients at urls
// (such as "http://127.0.0.1:8001"), with the session clientID, which must be
// non-zero and never used before (a restarted client takes a new id).
func New(urls []string, clientID uint64) (*Client, error) {
	if len(urls) == 0 {
		return nil, fmt.Errorf("%w: no server URLs", ErrBadRequest)
	}
	if clientID == 0 {
		return nil, fmt.Errorf("%w: client id 0 is reserved", ErrBadRequest)
	}
	us := make([]string, len(urls))
	for i, u := range urls {
		us[i] = normalizeURL(u)
	}
	return &Client{
		urls:    us,
		http:    &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}},
		session: kv.NewSession(clientID),
		leader:  us[0],

		backoffMin: BackoffMin,
		backoffMax: BackoffMax,
	}, nil
}

// Close releases idle connections.
func (c *Client) Close() { c.http.CloseIdleConnections() }

// Get reads key in mode ("" takes the server's default, readindex).
func (c *Client) Get(ctx context.Context, key string, mode kv.ReadMode) (value string, found bool, err error) {
	q := url.Values{}
	if mode != "" {
		q.Set("mode", string(mode))
	}
	// A read takes no effect, so any failure may be retried.
	r, err := c.do(ctx, http.MethodGet, keyPath(key), q, nil)
	return r.Value, r.Found, err
}

// Put sets key to value.
func (c *Client) Put(ctx context.Context, key, value string) error {
	_, err := c.write(ctx, http.MethodPut, keyPath(key), []byte(value))
	return err
}

// Append appends value to key's value.
func (c *Client) Append(ctx context.Context, key, value string) error {
	_, err := c.write(ctx, http.MethodPost, keyPath(key)+"/append", []byte(value))
	return err
}

// CAS sets key to value if its value is expected, and says whether it did.
func (c *Client) CAS(ctx context.Context, key, expected, value string) (bool, error) {
	body, err := json.Marshal(map[string]string{"expected": expected, "value": value})
	if err != nil {
		return false, err
	}
	r, err := c.write(ctx, http.MethodPost, keyPath(key)+"/cas", body)
	return r.OK, err
}

// Delete removes key.
func (c *Client) Delete(ctx context.Context, key string) error {
	_, err := c.write(ctx, http.MethodDelete, keyPath(key), nil)
	return err
}

// Transfer asks the leader to hand leadership to node to. It returns once
// the leader accepted the request, not once the transfer completed.
func (c *Client) Transfer(ctx context.Context, to uint64) error {
	q := url.Values{"to": {strconv.FormatUint(to, 10)}}
	_, err := c.do(ctx, http.MethodPost, "/admin/transfer", q, nil)
	return err
}

// normalizeURL gives u a scheme if it has none, and no trailing slash.
func normalizeURL(u string) string {
	if !strings.Contains(u, "://") {
		u = "http://" + u
	}
	return strings.TrimRight(u, "/")
}

func keyPath(key string) string { return "/kv/" + url.PathEscape(key) }

// write runs one command of the session: every attempt carries the same
// client and seq, so the server applies it at most once.
func (c *Client) write(ctx context.Context, method, path string, body []byte) (Answer, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cmd := c.session.Next(kv.Command{})
	q := url.Values{
		"client": {strconv.FormatUint(cmd.Client, 10)},
		"seq":    {strconv.FormatUint(cmd.Seq, 10)},
	}
	return c.do(ctx, method, path, q, body)
}

// do sends the request to the leader as best known, following not-leader
// answers and retrying what may be retried, at most AttemptsMax times.
func (c *Client) do(ctx context.Context, method, path string, q url.Values, body []byte) (Answer, error) {
	var r Answer
	err := c.call(ctx, method, path, q, body, &r, true)
	return r, err
}

// call is do, decoding a successful answer into out. An unknown outcome is
// retried only if retryUnknown: a retry must take effect at most once.
func (c *Client) call(ctx context.Context, method, path string, q url.Values, body []byte, out any, retryUnknown bool) error {
	backoff := c.backoffMin
	var last error
	for attempt := 0; attempt < AttemptsMax; attempt++ {
		base := c.target()
		data, eb, err := c.attempt(ctx, method, base+path+"?"+q.Encode(), body)
		if err == nil && eb == nil {
			if err = json.Unmarshal(data, out); err == nil {
				return nil
			}
			err = fmt.Errorf("%s: bad answer: %v", base, err)
		}
		if ctx.Err() != nil {
			return fmt.Errorf("client: %s %s: %w (last failure: %v)", method, path, ctx.Err(), last)
		}
		redirect := false
		switch {
		case err != nil && !retryUnknown && !isDialError(err):
			// The request may have been served before the answer was lost.
			return fmt.Errorf("%w: %s %s: %w", ErrOutcomeUnknown, method, path, err)
		case err != nil: // no answer: the server may be down; try another
			last = err
			c.rotate(base)
		case eb.Code == CodeNotLeader:
			last = fmt.Errorf("%s: %s", base, eb.Error)
			if eb.LeaderURL != "" && eb.LeaderURL != base {
				c.setLeader(eb.LeaderURL)
				redirect = true
			} else {
				c.rotate(base)
			}
		case eb.Code == CodeOutcomeUnknown && retryUnknown, eb.Code == CodeRetry:
			last = fmt.Errorf("%s: %s", base, eb.Error)
		default:
			return answerError(method, path, eb)
		}
		if redirect {
			continue
		}
		select {
		case <-time.After(backoff):
		case <-ctx.Done():
			return fmt.Errorf("client: %s %s: %w (last failure: %v)", method, path, ctx.Err(), last)
		}
		backoff = min(2*backoff, c.backoffMax)
	}
	return fmt.Errorf("%w: %s %s after %d attempts: %w", ErrRetriesExhausted, method, path, AttemptsMax, last)
}

// attempt makes one HTTP request. It returns the body of a successful
// answer, or the error body of an error answer, or err when there was no
// usable answer.
func (c *Client) attempt(ctx context.Context, method, u string, body []byte) ([]byte, *ErrorAnswer, error) {
	ctx, cancel := context.WithTimeout(ctx, AttemptTimeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, u, bytes.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, ResponseBytesMax))
	if err != nil {
		return nil, nil, err
	}
	if resp.StatusCode == http.StatusOK {
		return data, nil, nil
	}
	var eb ErrorAnswer
	if err := json.Unmarshal(data, &eb); err != nil || eb.Code == "" {
		eb = ErrorAnswer{Code: "http", Error: fmt.Sprintf("HTTP %d: %s", resp.StatusCode, bytes.TrimSpace(data))}
	}
	return nil, &eb, nil
}

// answerError turns an error answer that is not worth retrying into an error.
func answerError(method, path string, eb *ErrorAnswer) error {
	var kind error
	switch eb.Code {
	case CodeBadRequest:
		kind = ErrBadRequest
	case CodeTooLarge:
		kind = ErrTooLarge
	case CodeSession:
		kind = ErrSession
	case CodeUnknownNode:
		kind = fmt.Errorf("%w: %w", ErrUnknownNode, ErrBadRequest)
	case CodeNoVoters:
		kind = fmt.Errorf("%w: %w", ErrNoVoters, ErrBadRequest)
	case CodeInFlight:
		kind = ErrInFlight
	case CodeNotCaughtUp:
		kind = ErrNotCaughtUp
	case CodeOutcomeUnknown:
		kind = ErrOutcomeUnknown
	default:
		kind = ErrServer
	}
	return fmt.Errorf("%w: %s %s: %s", kind, method, path, eb.Error)
}

// isDialError reports whether err is a failure to connect, after which
// the request was certainly not served.
func isDialError(err error) bool {
	var oe *net.OpError
	return errors.As(err, &oe) && oe.Op == "dial"
}

func (c *Client) target() string {
	c.leaderMu.Lock()
	defer c.leaderMu.Unlock()
	return c.leader
}

func (c *Client) setLeader(u string) {
	c.leaderMu.Lock()
	defer c.leaderMu.Unlock()
	c.leader = strings.TrimRight(u, "/")
}

// rotate moves on from failed, unless another call already did.
func (c *Client) rotate(failed string) {
	c.leaderMu.Lock()
	defer c.leaderMu.Unlock()
	if c.leader != failed {
		return
	}
	for range c.urls {
		u := c.urls[c.next%len(c.urls)]
		c.next++
		if u != failed {
			c.leader = u
			return
		}
	}
}
