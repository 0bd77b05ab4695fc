package harness

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
	"github.com/raftcheck/raftcheck/raft"
)

// Client behaviour, in virtual time.
const (
	// clientTimeout is how long a client waits for one attempt.
	clientTimeout = 300 * time.Millisecond
	// clientAttemptsMax bounds the attempts of one operation; after it the
	// outcome is recorded as unknown and the client starts a new session.
	clientAttemptsMax = 20
	// backoffMax bounds the pause before a retry.
	backoffMax = 200 * time.Millisecond
	// clientLatency is the one-way delay between a client and a server.
	clientLatency = 1 * time.Millisecond
	// thinkMax bounds the pause between two operations of a client.
	thinkMax = 100 * time.Millisecond
	// readerEvery makes every readerEvery-th client a reader: it only
	// reads, and it stays with the node it believes leads for as long as
	// that node answers, as a cache or a dashboard polling one server
	// does. Readers are who meet a deposed leader that still answers:
	// writers leave it when their writes stop committing, while the reads
	// it serves from a stale lease or an unconfirmed read index succeed.
	readerEvery = 2
)

// client runs operations one at a time against the cluster, finding the
// leader by redirects and retrying each with the same session sequence
// number, so that a retried write takes effect once.
type client struct {
	s       *sim
	id      int
	session *kv.Session
	target  uint64
	stopAt  int64

	// The operation in flight, and its read mode if it is a Get.
	op       linearizability.OpID
	cmd      kv.Command
	mode     kv.ReadMode
	attempt  int
	inFlight bool
	ops      int
	// reader marks a client that only reads and does not hop between
	// nodes.
	reader bool
	// onDone, if set, is called when the operation completes (the liveness
	// probe uses it).
	onDone func(ok bool)
}

func (s *sim) newClient(id int, stopAt int64) *client {
	return &client{s: s, id: id, session: kv.NewSession(s.newSessionID()), target: s.slotMember(id), stopAt: stopAt,
		reader: id%readerEvery == 0}
}

// newSessionID returns a client ID no session of this run has used.
func (s *sim) newSessionID() uint64 {
	s.sessions++
	return s.sessions
}

// startLoop schedules the client's first operation.
func (c *client) startLoop() {
	c.s.after(c.think(), c.next)
}

func (c *client) think() time.Duration {
	return time.Duration(1 + c.s.clientRand.Int64N(int64(thinkMax)))
}

// next starts a new random operation, unless the client is done.
func (c *client) next() {
	if c.s.now >= c.stopAt {
		return
	}
	cmd := c.randomCommand()
	mode := kv.ReadLog
	if cmd.Op == kv.OpGet {
		mode = c.s.cfg.Reads[c.s.clientRand.IntN(len(c.s.cfg.Reads))]
	}
	c.beginMode(cmd, mode)
}

func (c *client) begin(cmd kv.Command) { c.beginMode(cmd, kv.ReadLog) }

func (c *client) beginMode(cmd kv.Command, mode kv.ReadMode) {
	c.mode = mode
	// Half the operations of a writer start at a node picked at random, as a client
	// that reconnects would: so some ask a node that still believes it
	// leads after a newer leader took over.
	if !c.reader && c.s.clientRand.IntN(2) == 0 {
		c.target = c.s.randomMember(c.s.clientRand)
	}
	if mode == kv.ReadLog {
		// Only commands through the log take a sequence number: the
		// session counts what the log applies.
		cmd = c.session.Next(cmd)
	} else {
		cmd.Client = c.session.Client()
	}
	c.cmd = cmd
	in := toInput(c.cmd, mode)
	in.Client = c.id
	c.op = c.s.rec.Invoke(c.id, in)
	c.attempt = 0
	c.ops++
	c.s.trace.write(traceSim{T: c.s.now, Sim: "invoke", Node: c.target, Detail: fmt.Sprintf("client %d: %s [%s]", c.id, c.cmd, c.mode)})
	c.try()
}

func (c *client) randomCommand() kv.Command {
	r := c.s.clientRand
	key := fmt.Sprintf("k%d", r.IntN(c.s.cfg.Keys))
	val := fmt.Sprintf("%d.%d", c.id, c.ops)
	if c.reader {
		return kv.Get(key)
	}
	switch r.IntN(10) {
	case 0, 1, 2:
		return kv.Get(key)
	case 3, 4:
		return kv.Put(key, val)
	case 5, 6:
		return kv.Append(key, val+";")
	case 7, 8:
		// Expect a value this client may have written, or none.
		return kv.CAS(key, fmt.Sprintf("%d.%d", c.id, r.IntN(max(1, c.ops))), val)
	default:
		return kv.Delete(key)
	}
}

// try sends the operation to the node the client believes leads.
func (c *client) try() {
	c.attempt++
	attempt := c.attempt
	c.inFlight = true
	op := c.op
	c.s.after(clientLatency, func() { c.send(op, attempt) })
	c.s.after(clientTimeout, func() {
		if c.inFlight && c.op == op && c.attempt == attempt {
			c.retry("timeout", c.otherNode())
		}
	})
}

func (c *client) send(op linearizability.OpID, attempt int) {
	if op != c.op {
		return
	}
	n := c.s.nodes[c.target-1]
	if !n.up || n.paused {
		return // the request is lost; the timeout retries
	}
	done := func(res kv.Result, err error) {
		c.s.after(clientLatency, func() { c.answer(op, attempt, res, err) })
	}
	var err error
	if c.mode == kv.ReadLog {
		_, err = n.svc.Start(c.cmd, done)
	} else {
		err = n.svc.StartRead(c.cmd.Key, c.mode, done)
	}
	if err != nil {
		c.s.after(clientLatency, func() { c.answer(op, attempt, kv.Result{}, err) })
	}
}

// answer handles a server's answer to one attempt of operation op.
func (c *client) answer(op linearizability.OpID, attempt int, res kv.Result, err error) {
	if !c.inFlight || op != c.op {
		return // the operation already completed through another attempt
	}
	var nl *raft.NotLeaderError
	switch {
	case err == nil:
		c.complete(res)
	case errors.As(err, &nl):
		if attempt != c.attempt {
			return
		}
		to := nl.Leader
		if to == raft.None || to == c.target {
			to = c.otherNode()
		}
		c.retry("not leader", to)
	case errors.Is(err, kv.ErrOutcomeUnknown) || errors.Is(err, kv.ErrTooManyPending) || errors.Is(err, kv.ErrReadAborted):
		if attempt == c.attempt {
			c.retry(err.Error(), c.otherNode())
		}
	case errors.Is(err, raft.ErrLeaseNotHeld) || errors.Is(err, raft.ErrTransferInProgress) ||
		errors.Is(err, raft.ErrProposalDropped):
		// The leader may earn its lease with its next heartbeat, finish
		// or abandon its transfer, or commit what it holds: try it again.
		if attempt == c.attempt {
			c.retry(err.Error(), c.target)
		}
	default:
		// The service refused the command itself: a bug in the client or
		// the service, since every command here is valid.
		c.s.violate("client", "client %d: %s: %v", c.id, c.cmd, err)
	}
}

func (c *client) retry(reason string, to uint64) {
	if c.attempt >= clientAttemptsMax {
		c.inFlight = false
		if err := c.s.rec.Unknown(c.op); err != nil {
			c.s.violate("client", "client %d: record: %v", c.id, err)
		}
		c.s.trace.write(traceSim{T: c.s.now, Sim: "unknown", Detail: fmt.Sprintf("client %d: %s", c.id, c.cmd)})
		// The session cannot go on past a command whose fate is unknown
		// (the next sequence number would be refused if this one never
		// applied), so the client starts a new one, as a Jepsen process
		// that crashed would.
		c.session = kv.NewSession(c.s.newSessionID())
		c.finish(false)
		return
	}
	if err := c.s.rec.Retry(c.op, reason); err != nil {
		c.s.violate("client", "client %d: record: %v", c.id, err)
	}
	c.target = to
	// Back off, so a cluster without a leader is not flooded.
	op := c.op
	c.s.after(min(time.Duration(c.attempt)*20*time.Millisecond, backoffMax), func() {
		// An earlier attempt may have answered meanwhile.
		if c.inFlight && c.op == op {
			c.try()
		}
	})
}

func (c *client) complete(res kv.Result) {
	c.inFlight = false
	if err := c.s.rec.Return(c.op, toOutput(c.cmd, res)); err != nil {
		c.s.violate("client", "client %d: record: %v", c.id, err)
		return
	}
	c.s.trace.write(traceSim{T: c.s.now, Sim: "return", Node: c.target, Detail: fmt.Sprintf("client %d: %s [%s] -> %+v", c.id, c.cmd, c.mode, res)})
	if c.cmd.Op == kv.OpGet {
		c.s.reads[string(c.mode)]++
	}
	c.finish(true)
}

func (c *client) finish(ok bool) {
	if c.onDone != nil {
		c.onDone(ok)
		return
	}
	c.s.after(c.think(), c.next)
}

// otherNode picks a member other than the current target at random.
func (c *client) otherNode() uint64 { return c.s.otherMember(c.s.clientRand, c.target) }

func toInput(c kv.Command, mode kv.ReadMode) model.Input {
	var in model.Input
	switch c.Op {
	case kv.OpGet:
		in = model.Get(c.Key, model.ReadMode(mode))
	case kv.OpPut:
		in = model.Put(c.Key, c.Value)
	case kv.OpAppend:
		in = model.Append(c.Key, c.Value)
	case kv.OpCAS:
		in = model.CAS(c.Key, c.Expected, c.Value)
	case kv.OpDelete:
		in = model.Delete(c.Key)
	}
	return in
}

// toOutput keeps the fields of a result that the operation returns.
func toOutput(c kv.Command, res kv.Result) model.Output {
	switch c.Op {
	case kv.OpGet:
		return model.Output{Value: res.Value, Found: res.Found}
	case kv.OpCAS:
		return model.Output{OK: res.OK}
	}
	return model.Output{}
}
