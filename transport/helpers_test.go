package transport

import (
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/raftcheck/raftcheck/raft"
)

// waitMax bounds every wait in these tests.
const waitMax = 5 * time.Second

// recorder is a Handler that keeps what it receives.
type recorder struct {
	mu   sync.Mutex
	msgs []raft.Message
}

func (r *recorder) handle(m raft.Message) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.msgs = append(r.msgs, m)
}

func (r *recorder) find(pred func(raft.Message) bool) (raft.Message, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, m := range r.msgs {
		if pred(m) {
			return m, true
		}
	}
	return raft.Message{}, false
}

func (r *recorder) len() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.msgs)
}

// logBuf is a Logf that keeps lines, for tests that check a logged reason.
type logBuf struct {
	mu    sync.Mutex
	lines []string
}

func (l *logBuf) logf(format string, args ...any) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.lines = append(l.lines, fmt.Sprintf(format, args...))
}

func (l *logBuf) has(sub string) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}

func (l *logBuf) count(sub string) int {
	l.mu.Lock()
	defer l.mu.Unlock()
	n := 0
	for _, s := range l.lines {
		if strings.Contains(s, sub) {
			n++
		}
	}
	return n
}

func (l *logBuf) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// node is a Transport under test with what it received and logged.
type node struct {
	*Transport
	rec *recorder
	log *logBuf
}

// newNode starts a transport on a loopback port and closes it at the end
// of the test. edit may change the config first.
func newNode(t *testing.T, cluster, id uint64, edit func(*Config)) *node {
	t.Helper()
	n := &node{rec: &recorder{}, log: &logBuf{}}
	cfg := Config{
		ClusterID:  cluster,
		ID:         id,
		ListenAddr: "127.0.0.1:0",
		Handler:    n.rec.handle,
		Logf:       n.log.logf,
	}
	if edit != nil {
		edit(&cfg)
	}
	tr, err := New(cfg)
	require.NoError(t, err)
	n.Transport = tr
	t.Cleanup(func() { tr.Close() })
	return n
}

// connectAll makes every node a peer of every other.
func connectAll(nodes ...*node) {
	for _, a := range nodes {
		for _, b := range nodes {
			a.AddPeer(b.cfg.ID, b.Addr().String())
		}
	}
}

// eventually polls cond until it holds or waitMax passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(waitMax)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// deliver sends m from a until b has received it (told apart by Seq),
// resending because a message sent before the connection is up may be
// dropped, as Raft allows.
func deliver(t *testing.T, a, b *node, m raft.Message) raft.Message {
	t.Helper()
	m.From, m.To = a.cfg.ID, b.cfg.ID
	match := func(got raft.Message) bool { return got.From == m.From && got.Seq == m.Seq }
	deadline := time.Now().Add(waitMax)
	for {
		a.Send([]raft.Message{m})
		for range 10 {
			if got, ok := b.rec.find(match); ok {
				return got
			}
			time.Sleep(2 * time.Millisecond)
		}
		if time.Now().After(deadline) {
			t.Fatalf("message %v not delivered; sender log:\n%s\nreceiver log:\n%s", m, a.log, b.log)
		}
	}
}

// checkNoGoroutineLeak fails the test if, after its cleanups, more
// goroutines run than when it started. Register it first, so that it runs
// after every other cleanup.
func checkNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(waitMax)
		for runtime.NumGoroutine() > before {
			if time.Now().After(deadline) {
				buf := make([]byte, 1<<16)
				t.Fatalf("goroutines: %d before, %d after:\n%s", before, runtime.NumGoroutine(), buf[:runtime.Stack(buf, true)])
			}
			time.Sleep(5 * time.Millisecond)
		}
	})
}
