package jepsen

import (
	"fmt"
	"strings"
)

// Partition patterns: which links a partition cuts. Each takes the node ids
// in a random order, so that who ends up where varies from fault to fault.
const (
	// PatternHalves cuts a minority off from the rest, both ways.
	PatternHalves = "halves"
	// PatternIsolate cuts one node off from all others, both ways.
	PatternIsolate = "isolate"
	// PatternBridge splits the nodes in two halves that cannot talk, except
	// through one node in the middle that talks to both: both halves may
	// think they can reach a majority.
	PatternBridge = "bridge"
	// PatternRing lets each node talk only to its two neighbours on a
	// ring: in a 5-node cluster every node sees a majority of 3, but no two
	// majorities agree. With fewer than 5 nodes it cuts nothing and is not
	// drawn.
	PatternRing = "majorities-ring"
	// PatternOneWay makes one node deaf: it hears nobody, but everybody
	// hears it, so its stale messages keep arriving.
	PatternOneWay = "one-way"
)

// Patterns lists the partition patterns.
var Patterns = []string{PatternHalves, PatternIsolate, PatternBridge, PatternRing, PatternOneWay}

// ringNodesMin is the smallest cluster in which PatternRing cuts a link.
const ringNodesMin = 5

// PartitionLinks returns the links that pattern cuts among ids (in the order
// given, which the caller shuffles) and a description such as
// "halves {2,5} | {1,3,4}". An unknown pattern is an error.
func PartitionLinks(pattern string, ids []uint64) ([]Link, string, error) {
	n := len(ids)
	both := func(a, b []uint64) []Link {
		var links []Link
		for _, x := range a {
			for _, y := range b {
				links = append(links, Link{x, y}, Link{y, x})
			}
		}
		return links
	}
	switch pattern {
	case PatternHalves:
		a, b := ids[:n/2], ids[n/2:]
		return both(a, b), fmt.Sprintf("%s %s | %s", pattern, setString(a), setString(b)), nil
	case PatternIsolate:
		return both(ids[:1], ids[1:]), fmt.Sprintf("%s n%d | %s", pattern, ids[0], setString(ids[1:])), nil
	case PatternBridge:
		a, mid, b := ids[:n/2], ids[n/2:n/2+1], ids[n/2+1:]
		return both(a, b), fmt.Sprintf("%s %s | %s | %s", pattern, setString(a), setString(mid), setString(b)), nil
	case PatternRing:
		var links []Link
		for i := range n {
			for j := range n {
				if d := (j - i + n) % n; i != j && d != 1 && d != n-1 {
					links = append(links, Link{ids[i], ids[j]})
				}
			}
		}
		return links, fmt.Sprintf("%s %s", pattern, ringString(ids)), nil
	case PatternOneWay:
		var links []Link
		for _, y := range ids[1:] {
			links = append(links, Link{y, ids[0]})
		}
		return links, fmt.Sprintf("%s: n%d hears nobody, is heard by all", pattern, ids[0]), nil
	}
	return nil, "", fmt.Errorf("unknown partition pattern %q (known: %s)", pattern, strings.Join(Patterns, ", "))
}

func setString(ids []uint64) string {
	s := sortIDs(append([]uint64(nil), ids...))
	parts := make([]string, len(s))
	for i, id := range s {
		parts[i] = fmt.Sprint(id)
	}
	return "{" + strings.Join(parts, ",") + "}"
}

func ringString(ids []uint64) string {
	parts := make([]string, len(ids)+1)
	for i, id := range ids {
		parts[i] = fmt.Sprintf("n%d", id)
	}
	parts[len(ids)] = parts[0]
	return strings.Join(parts, "-")
}
