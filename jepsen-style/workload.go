package jepsen

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"sync/atomic"
	"time"

	"github.com/raftcheck/raftcheck/kv"
	"github.com/raftcheck/raftcheck/kv/client"
	"github.com/raftcheck/raftcheck/linearizability"
	"github.com/raftcheck/raftcheck/model"
)

// opTimeout bounds one client operation. An operation that has not
// returned by then, like any that failed, is recorded with an unknown
// outcome.
const opTimeout = 5 * time.Second

// workload runs concurrent clients against the cluster and records what
// each saw. Client i is row i of the history.
type workload struct {
	c      *Cluster // its current nodes' client URLs
	rec    *linearizability.Recorder
	keys   int
	reads  []kv.ReadMode
	seed   uint64
	tokens <-chan struct{} // nil: no rate limit

	nextID           atomic.Uint64 // kv/client session ids, never reused in a run
	ok, unknown, all atomic.Int64
}

// key names key i.
func key(i int) string { return fmt.Sprintf("k%d", i) }

// run runs clients workers until ctx ends and waits for their last
// operations, which finish within opTimeout.
func (w *workload) run(ctx context.Context, clients int) {
	var wg sync.WaitGroup
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.worker(ctx, i)
		}()
	}
	wg.Wait()
}

// newClient makes a client of the current nodes, first tried first (0:
// the first by id), with a new session.
func (w *workload) newClient(first uint64) *client.Client {
	c, err := client.New(w.c.ClientURLs(first), w.nextID.Add(1))
	if err != nil {
		panic("jepsen: kv/client refused a valid configuration: " + err.Error())
	}
	return c
}

func (w *workload) worker(ctx context.Context, idx int) {
	rng := rand.New(rand.NewPCG(w.seed, uint64(idx)))
	version := w.c.Version()
	cl := w.newClient(0)
	defer func() { cl.Close() }()
	seen := make(map[string]string) // the value this client last saw per key
	for seq := 1; ; seq++ {
		if !w.wait(ctx) {
			return
		}
		// A client knows the URLs it was made with: when nodes join or
		// leave, the worker takes a new client (and session) between two
		// operations, so it reaches a leader that joined late, and stops
		// asking nodes that left.
		if v := w.c.Version(); v != version {
			version = v
			cl.Close()
			cl = w.newClient(0)
		}
		in := w.nextOp(rng, idx, seq, seen)
		id := w.rec.Invoke(idx, in)
		opCtx, cancel := context.WithTimeout(context.Background(), opTimeout)
		out, err := do(opCtx, cl, in)
		cancel()
		w.all.Add(1)
		if err != nil {
			w.unknown.Add(1)
			_ = w.rec.Unknown(id)
			if errors.Is(err, client.ErrSession) {
				cl.Close()
				cl = w.newClient(0)
			}
			continue
		}
		w.ok.Add(1)
		_ = w.rec.Return(id, out)
		switch {
		case in.Op == model.OpGet && out.Found:
			seen[in.Key] = out.Value
		case in.Op == model.OpPut, in.Op == model.OpCAS && out.OK:
			seen[in.Key] = in.Value
		}
	}
}

// wait takes a token of the rate limit; it reports whether ctx is live.
func (w *workload) wait(ctx context.Context) bool {
	if w.tokens == nil {
		return ctx.Err() == nil
	}
	select {
	case <-w.tokens:
		return ctx.Err() == nil
	case <-ctx.Done():
		return false
	}
}

// nextOp draws an operation: gets 40%, puts 30%, CAS 15%, appends 10%,
// deletes 5%. Written values are unique in the run ("client.seq"), so a
// read names the write it saw.
func (w *workload) nextOp(rng *rand.Rand, idx, seq int, seen map[string]string) model.Input {
	k := key(rng.IntN(w.keys))
	v := fmt.Sprintf("%d.%d", idx, seq)
	switch r := rng.IntN(100); {
	case r < 40:
		return model.Input{Op: model.OpGet, Key: k, Mode: model.ReadMode(w.reads[rng.IntN(len(w.reads))])}
	case r < 70:
		return model.Input{Op: model.OpPut, Key: k, Value: v}
	case r < 85:
		return model.Input{Op: model.OpCAS, Key: k, Expected: seen[k], Value: v}
	case r < 95:
		return model.Input{Op: model.OpAppend, Key: k, Value: "+" + v}
	}
	return model.Input{Op: model.OpDelete, Key: k}
}

// do runs in on cl and returns what the client saw.
func do(ctx context.Context, cl *client.Client, in model.Input) (model.Output, error) {
	switch in.Op {
	case model.OpGet:
		v, found, err := cl.Get(ctx, in.Key, kv.ReadMode(in.Mode))
		if !found {
			v = ""
		}
		return model.Output{Value: v, Found: found}, err
	case model.OpPut:
		return model.Output{}, cl.Put(ctx, in.Key, in.Value)
	case model.OpAppend:
		return model.Output{}, cl.Append(ctx, in.Key, in.Value)
	case model.OpCAS:
		ok, err := cl.CAS(ctx, in.Key, in.Expected, in.Value)
		return model.Output{OK: ok}, err
	case model.OpDelete:
		return model.Output{}, cl.Delete(ctx, in.Key)
	}
	return model.Output{}, fmt.Errorf("unknown operation %v", in.Op)
}

// rateTokens hands out rate tokens a second until ctx ends; rate <= 0 is
// no limit (nil).
func rateTokens(ctx context.Context, rate float64) <-chan struct{} {
	if rate <= 0 {
		return nil
	}
	ch := make(chan struct{})
	go func() {
		t := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
			}
			select {
			case ch <- struct{}{}:
			case <-ctx.Done():
				return
			default: // every client busy: the tick is lost, not queued
			}
		}
	}()
	return ch
}
