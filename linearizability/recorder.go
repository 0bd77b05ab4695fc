package linearizability

import (
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/raftcheck/raftcheck/model"
)

// Clock gives the timestamps of a history. A simulator passes its virtual
// clock; a real run uses a MonotonicClock. Now must never go backwards.
type Clock interface {
	// Now returns the current time in nanoseconds.
	Now() int64
}

// MonotonicClock is a Clock on the process's monotonic clock, counting
// nanoseconds from its first reading. The zero value is ready to use; it
// must not be copied after first use.
type MonotonicClock struct {
	once  sync.Once
	start time.Time
}

// Now returns the nanoseconds elapsed since the clock's first reading. The
// wall clock may jump; this clock does not, as time.Since uses the
// monotonic reading.
func (c *MonotonicClock) Now() int64 {
	c.once.Do(func() { c.start = time.Now() })
	return int64(time.Since(c.start))
}

// OpID identifies an operation recorded by a Recorder: its index in
// History.Ops.
type OpID int

// ErrNoSuchOp is returned when a Recorder is given an OpID it did not hand
// out.
var ErrNoSuchOp = errors.New("no such operation")

// ErrAlreadyReturned is returned when a Recorder is told twice how an
// operation ended.
var ErrAlreadyReturned = errors.New("operation already returned")

// Recorder records a history as clients run. It is safe for concurrent use.
// The zero value records on a fresh MonotonicClock.
//
// A client calls Invoke just before it sends a request and Return (or
// Unknown, on a timeout) just after it learns the outcome, so that the
// recorded interval contains the real one. Operations still pending when
// History is called are reported with an unknown outcome.
type Recorder struct {
	mu       sync.Mutex
	clock    Clock
	h        History
	returned []bool // returned[id]: Return or Unknown was called for id
	attempts map[OpID]int
}

// NewRecorder returns a Recorder that takes its timestamps from clock; a nil
// clock means a new MonotonicClock.
func NewRecorder(clock Clock) *Recorder {
	return &Recorder{clock: clock}
}

// Now returns the current time of the recorder's clock, so that callers can
// timestamp annotations consistently with operations.
func (r *Recorder) Now() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.nowLocked()
}

func (r *Recorder) nowLocked() int64 {
	if r.clock == nil {
		r.clock = &MonotonicClock{}
	}
	return r.clock.Now()
}

// Invoke records that client calls in now and returns the operation's id.
// It sets in.Client to client. The input is validated when the history is
// checked or saved, not here.
func (r *Recorder) Invoke(client int, in model.Input) OpID {
	r.mu.Lock()
	defer r.mu.Unlock()
	in.Client = client
	id := OpID(len(r.h.Ops))
	r.h.Ops = append(r.h.Ops, Operation{Input: in, Call: r.nowLocked(), Output: model.UnknownOutput()})
	r.returned = append(r.returned, false)
	return id
}

// Return records that operation id returned out now. An out with Unknown
// set is the same as calling Unknown.
func (r *Recorder) Return(id OpID, out model.Output) error {
	if out.Unknown {
		return r.Unknown(id)
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkPendingLocked(id); err != nil {
		return fmt.Errorf("return: %w", err)
	}
	r.returned[id] = true
	r.h.Ops[id].Output = out
	r.h.Ops[id].Return = r.nowLocked()
	return nil
}

// Unknown records that the client of operation id gave up on it without
// knowing whether it took effect (a timeout, a lost connection).
func (r *Recorder) Unknown(id OpID) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkPendingLocked(id); err != nil {
		return fmt.Errorf("unknown: %w", err)
	}
	r.returned[id] = true
	r.h.Ops[id].Output = model.UnknownOutput()
	r.h.Ops[id].Return = 0
	return nil
}

func (r *Recorder) checkPendingLocked(id OpID) error {
	if id < 0 || int(id) >= len(r.h.Ops) {
		return fmt.Errorf("%w: %d", ErrNoSuchOp, id)
	}
	if r.returned[id] {
		return fmt.Errorf("%w: %d", ErrAlreadyReturned, id)
	}
	return nil
}

// Retry records, now, that the client of operation id sent it again;
// reason says why. Attempts are numbered from 1 per operation.
func (r *Recorder) Retry(id OpID, reason string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if err := r.checkPendingLocked(id); err != nil {
		return fmt.Errorf("retry: %w", err)
	}
	if r.attempts == nil {
		r.attempts = make(map[OpID]int)
	}
	r.attempts[id]++
	r.h.Retries = append(r.h.Retries, Retry{
		Op: int(id), Attempt: r.attempts[id], Time: r.nowLocked(), Description: reason,
	})
	return nil
}

// AddFault records a fault window. Its times are taken as given; use Now
// for the recorder's clock.
func (r *Recorder) AddFault(f Fault) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.Faults = append(r.h.Faults, f)
}

// AddLeader records the leader of a term. Its times are taken as given; use
// Now for the recorder's clock.
func (r *Recorder) AddLeader(l Leader) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.h.Leaders = append(r.h.Leaders, l)
}

// History returns a snapshot of what was recorded so far. Operations still
// pending have an unknown outcome in it. Recording may go on afterwards.
func (r *Recorder) History() History {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.h.clone()
}
