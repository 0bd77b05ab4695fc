package kv

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/raftcheck/raftcheck/node"
	"github.com/raftcheck/raftcheck/raft"
)

// DefaultPendingMax bounds the commands a Service waits on at once.
const DefaultPendingMax = 1024

// Errors of the Service, beyond the commands' own (see Result.Err) and
// the node's (a *raft.NotLeaderError naming the leader, node.ErrStopped).
var (
	// ErrOutcomeUnknown means the command may or may not take effect: its
	// leader stepped down, or the caller stopped waiting. Retry it with the
	// same client and seq; the session makes the retry safe.
	ErrOutcomeUnknown = errors.New("kv: outcome unknown")
	// ErrTooManyPending refuses a command while PendingMax commands are
	// waiting.
	ErrTooManyPending = errors.New("kv: too many pending commands")
)

// Config configures a Service.
type Config struct {
	// Node configures the node the Service runs on. Its StateMachine is
	// the Service's; leave it nil.
	Node node.Config
	// SessionsMax bounds the session table (DefaultSessionsMax if zero).
	// Every replica must use the same.
	SessionsMax int
	// PendingMax bounds the commands waiting for their entry to apply
	// (DefaultPendingMax if zero).
	PendingMax int
	// PromoteLagEntriesMax is how far behind the leader's commit index a
	// learner may be and still be promoted (DefaultPromoteLagEntriesMax
	// if zero).
	PromoteLagEntriesMax uint64
}

// Service is a Store replicated by a node.Node, and what clients call. Like
// the Node, it is not safe for concurrent use, except Do, which is for
// callers outside the goroutine of node.Node.Run.
type Service struct {
	node       *node.Node
	store      *Store
	pending    map[sessionKey][]*Pending
	npending   int
	pendingMax int
	// malformed counts entries that did not decode and were skipped.
	malformed int
	// reads are reads outside the log, by request ID.
	reads  map[uint64]*waitingRead
	readID uint64
	// changes are membership changes waiting to take effect (admin.go).
	changes       []*changeWaiter
	promoteLagMax uint64
}

type sessionKey struct{ client, seq uint64 }

// Pending is a command waiting for its entry to apply.
type Pending struct {
	svc  *Service
	key  sessionKey
	done func(Result, error)
}

// NewService returns a Service on a new node made from cfg.Node, restored
// from its storage.
func NewService(cfg Config) (*Service, error) {
	if cfg.Node.StateMachine != nil {
		return nil, fmt.Errorf("%w: the kv Service is the state machine; leave Node.StateMachine nil", node.ErrBadConfig)
	}
	if cfg.PendingMax < 0 {
		return nil, fmt.Errorf("%w: PendingMax %d is negative", node.ErrBadConfig, cfg.PendingMax)
	}
	if cfg.PendingMax == 0 {
		cfg.PendingMax = DefaultPendingMax
	}
	if cfg.PromoteLagEntriesMax == 0 {
		cfg.PromoteLagEntriesMax = DefaultPromoteLagEntriesMax
	}
	s := &Service{store: NewStore(cfg.SessionsMax), pending: map[sessionKey][]*Pending{}, pendingMax: cfg.PendingMax,
		reads: map[uint64]*waitingRead{}, promoteLagMax: cfg.PromoteLagEntriesMax}
	cfg.Node.StateMachine = machine{s}
	n, err := node.New(cfg.Node)
	if err != nil {
		return nil, fmt.Errorf("kv service: %w", err)
	}
	s.node = n
	return s, nil
}

// Node returns the node the Service runs on, for its driver to tick, step
// and process.
func (s *Service) Node() *node.Node { return s.node }

// Store returns the replica's state. Reading it bypasses the log.
func (s *Service) Store() *Store { return s.store }

// Malformed returns how many applied entries did not decode as commands.
// They were skipped on every replica alike.
func (s *Service) Malformed() int { return s.malformed }

// Waiting returns the number of commands waiting for their entry to apply
// and reads waiting to be served: those PendingMax bounds.
func (s *Service) Waiting() int { return s.waiting() }

// waiting is Waiting; Start and StartRead both check it, so PendingMax
// bounds writes and reads together.
func (s *Service) waiting() int { return s.npending + len(s.reads) }

// Start proposes cmd and returns at once. done is called once, from
// within a later node.Node.Process, when an entry of cmd's client and seq
// applies (with its result and Result.Err()), or with an error wrapping
// ErrOutcomeUnknown when this node stops being leader first. done must
// not call into the Service or the Node; queue the work instead. An error
// from Start means done will not be called: an invalid command, too many
// pending, or the node's refusal (a *raft.NotLeaderError names the
// leader to redirect to).
func (s *Service) Start(cmd Command, done func(Result, error)) (*Pending, error) {
	if err := cmd.Validate(); err != nil {
		return nil, err
	}
	if n := s.waiting(); n >= s.pendingMax {
		return nil, fmt.Errorf("%w: %d waiting, limit %d", ErrTooManyPending, n, s.pendingMax)
	}
	if err := s.node.Propose(cmd.Encode()); err != nil {
		return nil, fmt.Errorf("kv: propose %s: %w", cmd, err)
	}
	p := &Pending{svc: s, key: sessionKey{cmd.Client, cmd.Seq}, done: done}
	s.pending[p.key] = append(s.pending[p.key], p)
	s.npending++
	return p, nil
}

// Cancel stops waiting: done will not be called. The command may still
// take effect. Cancel on a resolved Pending does nothing.
func (p *Pending) Cancel() {
	s := p.svc
	ps := s.pending[p.key]
	for i, q := range ps {
		if q == p {
			s.forget(p.key, append(ps[:i:i], ps[i+1:]...))
			return
		}
	}
}

// forget replaces the waiters of key with rest.
func (s *Service) forget(key sessionKey, rest []*Pending) {
	s.npending -= len(s.pending[key]) - len(rest)
	if len(rest) == 0 {
		delete(s.pending, key)
	} else {
		s.pending[key] = rest
	}
}

// resolve answers every waiter of key.
func (s *Service) resolve(key sessionKey, res Result, err error) {
	ps := s.pending[key]
	s.forget(key, nil)
	for _, p := range ps {
		p.done(res, err)
	}
}

// failAll answers every waiter with err.
func (s *Service) failAll(err error) {
	for _, key := range s.pendingKeys() {
		s.resolve(key, Result{}, err)
	}
}

// pendingKeys returns the keys waited on, sorted, so callbacks run in the
// same order in every run of a simulation.
func (s *Service) pendingKeys() []sessionKey {
	keys := make([]sessionKey, 0, len(s.pending))
	for key := range s.pending {
		keys = append(keys, key)
	}
	slices.SortFunc(keys, func(a, b sessionKey) int {
		return cmp.Or(cmp.Compare(a.client, b.client), cmp.Compare(a.seq, b.seq))
	})
	return keys
}

// Do runs cmd on the Service of a node that runs under node.Node.Run: it
// proposes through node.Node.Submit and waits until the command applies,
// ctx ends, or the node stops. When ctx ends first the error wraps both
// ErrOutcomeUnknown and ctx's error. Do is safe for concurrent use.
func (s *Service) Do(ctx context.Context, cmd Command) (Result, error) {
	return await(ctx, s, cmd, func(done func(Result, error)) (func(), error) {
		p, err := s.Start(cmd, done)
		if err != nil {
			return nil, err
		}
		return p.Cancel, nil
	})
}

// await runs start on the node's goroutine and waits for the answer it
// hands done (what names it in errors, formatted only then), until ctx ends or the node stops. start returns how to stop
// waiting, or an error if it started nothing. When ctx ends first, the
// wait is cancelled on the node and the error wraps ErrOutcomeUnknown and
// ctx's error: what was started may still take effect.
func await[T any](ctx context.Context, s *Service, what fmt.Stringer, start func(done func(T, error)) (func(), error)) (T, error) {
	type outcome struct {
		v   T
		err error
	}
	var zero T
	out := make(chan outcome, 1)
	var cancel func() // touched only on the node's goroutine
	err := s.node.Submit(ctx, func(*node.Node) {
		var err error
		cancel, err = start(func(v T, err error) { out <- outcome{v, err} })
		if err != nil {
			out <- outcome{err: err}
		}
	})
	if err != nil {
		// Never started: nothing took effect.
		return zero, fmt.Errorf("kv: %s: %w", what, err)
	}
	select {
	case o := <-out:
		return o.v, o.err
	case <-ctx.Done():
		select {
		case o := <-out:
			return o.v, o.err
		default:
		}
		// The node may have stopped; then nothing waits any more.
		_ = s.node.Submit(context.WithoutCancel(ctx), func(*node.Node) {
			if cancel != nil {
				cancel()
			}
		})
		return zero, fmt.Errorf("%w: %s: %w", ErrOutcomeUnknown, what, ctx.Err())
	case <-s.node.Done():
		return zero, fmt.Errorf("%w: %s: %w", ErrOutcomeUnknown, what, node.ErrStopped)
	}
}

// machine is the Service as the node's state machine. Its methods are
// unexported in effect: only the node calls them.
type machine struct{ s *Service }

// Apply implements node.StateMachine. An entry that does not decode is
// skipped: every replica skips it alike, while stopping would stop them
// all.
func (m machine) Apply(e raft.Entry) error {
	cmd, res, err := m.s.store.ApplyEncoded(e.Data)
	if err != nil {
		m.s.malformed++
		return nil
	}
	m.s.resolve(sessionKey{cmd.Client, cmd.Seq}, res, res.Err())
	return nil
}

// ApplySnapshot implements node.StateMachine. Commands the snapshot
// already covers are answered from its session table.
func (m machine) ApplySnapshot(snap raft.Snapshot) error {
	if err := m.s.store.Restore(snap.Data); err != nil {
		return fmt.Errorf("restore kv snapshot at %d: %w", snap.Metadata.Index, err)
	}
	for _, key := range m.s.pendingKeys() {
		sess := m.s.store.sessions.get(key.client)
		switch {
		case sess != nil && sess.seq == key.seq:
			m.s.resolve(key, sess.result, sess.result.Err())
		case sess != nil && sess.seq > key.seq:
			m.s.resolve(key, Result{Code: CodeStaleSequence}, ErrStaleSequence)
		}
	}
	return nil
}

// Snapshot implements node.StateMachine.
func (m machine) Snapshot() ([]byte, error) { return m.s.store.Snapshot(), nil }

// RoleChanged implements node.RoleObserver: once this node is no longer
// leader, the commands it waits on may or may not commit, so their callers
// hear so at once and can retry elsewhere instead of waiting out a
// timeout.
func (m machine) RoleChanged(ss raft.SoftState) {
	// A read index asked of a leader that is gone may never come; reads
	// with a known index are aborted too, which is safe and answers
	// their callers sooner than ReadTicksMax.
	m.s.abortReads(ErrReadAborted)
	if ss.Role == raft.Leader || m.s.npending == 0 {
		return
	}
	nle := &raft.NotLeaderError{Leader: ss.Lead, Term: m.s.node.BasicStatus().Term}
	m.s.failAll(fmt.Errorf("%w: %w", ErrOutcomeUnknown, nle))
}
