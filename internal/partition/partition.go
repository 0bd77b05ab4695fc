// Package partition says which directed links a network partition cuts,
// for the simulator (harness) and the real-process nemesis (jepsen-style)
// alike, so that a shape means the same cut in both.
//
// It is pure and deterministic: the caller places the nodes by the order of
// the ids it passes in, drawn from its own randomness, and the links come
// back in an order fixed by that input. The simulator relies on the order:
// a stalled link is flushed in it, so a seed replays only if it never
// changes.
package partition

import (
	"fmt"
	"slices"
	"strings"
)

// Shapes of a partition. Each places the nodes by the order of its ids.
const (
	// Halves cuts the first n/2 nodes off from the rest, both ways.
	Halves = "halves"
	// Isolate cuts the first node off from all others, both ways.
	Isolate = "isolate"
	// Bridge splits the nodes in two halves that cannot talk, except
	// through the node in the middle (ids[n/2]), which talks to both: both
	// halves may think they can reach a majority.
	Bridge = "bridge"
	// Ring lets each node talk only to its two neighbours on the ring of
	// ids: with 5 nodes every node sees a majority of 3, but no two
	// majorities agree. It cuts a link only from RingNodesMin nodes on.
	Ring = "majorities-ring"
	// OneWay makes the first node deaf: it hears nobody, but everybody
	// hears it, so its stale messages keep arriving.
	OneWay = "one-way"
)

// Shapes lists the shapes, in a fixed order (callers draw from it by index).
var Shapes = []string{Halves, Isolate, Bridge, Ring, OneWay}

// RingNodesMin is the smallest cluster in which Ring cuts a link: among 3
// nodes every node is a neighbour of every other.
const RingNodesMin = 4

// Link is a directed link: messages from Link[0] to Link[1].
type Link = [2]uint64

// Links returns the links that shape cuts among ids, in the order given.
// ids must be distinct and non-zero; an unknown shape is an error. A
// shape may cut nothing among too few nodes (see Cutting).
func Links(shape string, ids []uint64) ([]Link, error) {
	if err := check(ids); err != nil {
		return nil, fmt.Errorf("partition %s: %w", shape, err)
	}
	n := len(ids)
	switch shape {
	case Halves:
		return between(ids[:n/2], ids[n/2:]), nil
	case Isolate:
		return between(ids[:1], ids[1:]), nil
	case Bridge:
		return between(ids[:n/2], ids[n/2+1:]), nil
	case Ring:
		var links []Link
		for i := range n {
			for j := range n {
				if d := (j - i + n) % n; i != j && d != 1 && d != n-1 {
					links = append(links, Link{ids[i], ids[j]})
				}
			}
		}
		return links, nil
	case OneWay:
		var links []Link
		for _, y := range ids[1:] {
			links = append(links, Link{y, ids[0]})
		}
		return links, nil
	}
	return nil, fmt.Errorf("unknown partition shape %q (known: %s)", shape, strings.Join(Shapes, ", "))
}

// Split returns the links between the first k of ids and the rest, both
// ways: for each of the first k, its links to each of the rest, out then
// in. Halves is Split(ids, n/2) and Isolate is Split(ids, 1).
func Split(ids []uint64, k int) ([]Link, error) {
	if err := check(ids); err != nil {
		return nil, fmt.Errorf("partition split: %w", err)
	}
	if k < 0 || k > len(ids) {
		return nil, fmt.Errorf("partition split: %d nodes on one side, outside 0..%d", k, len(ids))
	}
	return between(ids[:k], ids[k:]), nil
}

// Cutting returns the shapes that cut at least one link among n nodes, in
// the order of Shapes: a caller that must cut something draws from these.
func Cutting(n int) []string {
	ids := make([]uint64, max(n, 0))
	for i := range ids {
		ids[i] = uint64(i + 1)
	}
	var shapes []string
	for _, s := range Shapes {
		if links, err := Links(s, ids); err == nil && len(links) > 0 {
			shapes = append(shapes, s)
		}
	}
	return shapes
}

func between(a, b []uint64) []Link {
	var links []Link
	for _, x := range a {
		for _, y := range b {
			links = append(links, Link{x, y}, Link{y, x})
		}
	}
	return links
}

// check refuses what no cluster holds: no nodes, node 0 (which means "no
// node" to Raft) and a node named twice, which would cut a node off from
// itself.
func check(ids []uint64) error {
	if len(ids) == 0 {
		return fmt.Errorf("no nodes")
	}
	for i, id := range ids {
		if id == 0 {
			return fmt.Errorf("node id 0 in %v", ids)
		}
		if slices.Contains(ids[:i], id) {
			return fmt.Errorf("node %d named twice in %v", id, ids)
		}
	}
	return nil
}
