package raft_test

import (
	"fmt"

	"github.com/raftcheck/raftcheck/raft"
)

// Example shows the driver's loop on a single-node group: the node elects
// itself, a proposal commits, and the application applies it.
func Example() {
	storage := raft.NewMemoryStorage()
	r, err := raft.New(raft.Config{ID: 1, Storage: storage, Voters: []uint64{1}, PreVote: true, CheckQuorum: true})
	if err != nil {
		panic(err)
	}
	process := func() {
		for r.HasReady() {
			rd := r.Ready()
			// 1. Persist. A real driver syncs to disk here.
			if !rd.Snapshot.IsEmpty() {
				_ = storage.ApplySnapshot(rd.Snapshot)
			}
			_ = storage.Append(rd.Entries)
			if !rd.HardState.IsEmpty() {
				storage.SetHardState(rd.HardState)
			}
			// 2. Send rd.Messages (none in a group of one).
			// 3. Apply.
			for _, e := range rd.CommittedEntries {
				if len(e.Data) > 0 {
					fmt.Printf("apply %d: %s\n", e.Index, e.Data)
				}
			}
			// 4. Advance.
			r.Advance(rd)
		}
	}
	for r.Status().Role != raft.Leader {
		r.Tick()
		process()
	}
	if err := r.Propose([]byte("hello")); err != nil {
		panic(err)
	}
	process()
	st := r.Status()
	fmt.Println(st.Role, "term", st.Term, "commit", st.Commit)
	// Output:
	// apply 2: hello
	// Leader term 1 commit 2
}
