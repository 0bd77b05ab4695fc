package jepsen

import (
	"fmt"
	"strings"

	"github.com/raftcheck/raftcheck/internal/partition"
)

// describePartition says who ends up where when shape cuts among ids (in
// the order given to partition.Links), such as "halves {2,5} | {1,3,4}".
func describePartition(shape string, ids []uint64) string {
	n := len(ids)
	switch shape {
	case partition.Halves:
		return fmt.Sprintf("%s %s | %s", shape, setString(ids[:n/2]), setString(ids[n/2:]))
	case partition.Isolate:
		return fmt.Sprintf("%s n%d | %s", shape, ids[0], setString(ids[1:]))
	case partition.Bridge:
		return fmt.Sprintf("%s %s | %s | %s", shape, setString(ids[:n/2]), setString(ids[n/2:n/2+1]), setString(ids[n/2+1:]))
	case partition.Ring:
		return fmt.Sprintf("%s %s", shape, ringString(ids))
	case partition.OneWay:
		return fmt.Sprintf("%s: n%d hears nobody, is heard by all", shape, ids[0])
	}
	return shape
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
