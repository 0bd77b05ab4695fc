package kv

import (
	"container/list"
	"fmt"
)

// DefaultSessionsMax bounds the session table of a Store. It should be far
// above the number of clients alive at once; see the package
// documentation for what eviction costs.
const DefaultSessionsMax = 4096

// session is a client's last applied command and its result.
type session struct {
	client uint64
	seq    uint64
	result Result
}

// sessions is the session table: a map for lookup, and a list from least
// to most recently used for eviction. Both hold the same sessions.
type sessions struct {
	max   int
	byID  map[uint64]*list.Element
	order *list.List // of *session, least recently used first
}

func newSessions(maxLen int) sessions {
	return sessions{max: maxLen, byID: map[uint64]*list.Element{}, order: list.New()}
}

// get returns client's session, or nil.
func (t *sessions) get(client uint64) *session {
	if el, ok := t.byID[client]; ok {
		return el.Value.(*session)
	}
	return nil
}

// record stores seq's result as client's last, makes the session the most
// recently used, and evicts the least recently used one if the table is
// over its bound.
func (t *sessions) record(client, seq uint64, res Result) {
	if el, ok := t.byID[client]; ok {
		s := el.Value.(*session)
		s.seq, s.result = seq, res
		t.order.MoveToBack(el)
		return
	}
	t.byID[client] = t.order.PushBack(&session{client: client, seq: seq, result: res})
	if t.order.Len() > t.max {
		oldest := t.order.Front()
		delete(t.byID, t.order.Remove(oldest).(*session).client)
	}
	if len(t.byID) != t.order.Len() || t.order.Len() > t.max {
		panic(fmt.Sprintf("kv: session table holds %d by id, %d in order, limit %d",
			len(t.byID), t.order.Len(), t.max))
	}
}

// touch makes client's session the most recently used.
func (t *sessions) touch(client uint64) {
	if el, ok := t.byID[client]; ok {
		t.order.MoveToBack(el)
	}
}

// each calls fn on every session, least recently used first.
func (t *sessions) each(fn func(*session)) {
	for el := t.order.Front(); el != nil; el = el.Next() {
		fn(el.Value.(*session))
	}
}

func (t *sessions) len() int { return t.order.Len() }
