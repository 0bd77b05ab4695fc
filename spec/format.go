package spec

import (
	"fmt"
	"slices"
	"strings"
)

func server(i uint8) string { return fmt.Sprintf("s%d", i+1) }

// String renders the entries as a TLA+ sequence of [term, value] records,
// with value Nil for a no-op.
func (l Log) String() string {
	var parts []string
	for idx := 1; idx <= l.Len(); idx++ {
		e := l.At(idx)
		v := "Nil"
		if e.Value != 0 {
			v = fmt.Sprintf("v%d", e.Value)
		}
		if e.IsConf() {
			parts = append(parts, fmt.Sprintf("[term |-> %d, value |-> %s, conf |-> [voters |-> %v, outgoing |-> %v, learners |-> %v, autoLeave |-> %s]]",
				e.Term, v, e.Conf.Voters, e.Conf.Outgoing, e.Conf.Learners, strings.ToUpper(fmt.Sprint(e.Conf.AutoLeave))))
			continue
		}
		parts = append(parts, fmt.Sprintf("[term |-> %d, value |-> %s]", e.Term, v))
	}
	return "<<" + strings.Join(parts, ", ") + ">>"
}

// String renders the message as a TLA+ record with the fields of its type.
func (m Message) String() string {
	f := []string{"mtype |-> " + m.Type.String(), fmt.Sprintf("mterm |-> %d", m.Term)}
	add := func(name string, v any) { f = append(f, fmt.Sprintf("%s |-> %v", name, v)) }
	switch m.Type {
	case PreVoteRequest, RequestVoteRequest:
		add("mlastLogTerm", m.LastLogTerm)
		add("mlastLogIndex", m.LastLogIndex)
		add("mtransfer", strings.ToUpper(fmt.Sprint(m.Transfer)))
	case PreVoteResponse, RequestVoteResponse:
		add("mgranted", strings.ToUpper(fmt.Sprint(m.Granted)))
	case AppendEntriesRequest:
		add("mprevLogIndex", m.PrevLogIndex)
		add("mprevLogTerm", m.PrevLogTerm)
		add("mentries", m.Entries)
		add("mcommitIndex", m.CommitIndex)
	case AppendEntriesResponse:
		add("msuccess", strings.ToUpper(fmt.Sprint(m.Success)))
		add("mmatchIndex", m.MatchIndex)
	case HeartbeatRequest:
		add("mcommitIndex", m.CommitIndex)
		add("mseq", m.Seq)
	case HeartbeatResponse:
		add("mseq", m.Seq)
	case ReadIndexRequest:
		add("mseq", m.Seq)
	case ReadIndexResponse:
		add("msuccess", strings.ToUpper(fmt.Sprint(m.Success)))
		add("mindex", m.Index)
		add("mseq", m.Seq)
	case InstallSnapshotRequest:
		add("msnapshotIndex", m.SnapshotIndex)
		add("msnapshotTerm", m.SnapshotTerm)
		add("mentries", m.Entries)
	}
	add("msource", server(m.Source))
	add("mdest", server(m.Dest))
	return "[" + strings.Join(f, ", ") + "]"
}

func serverOrNil(i int8) string {
	if i == Nil {
		return "Nil"
	}
	return server(uint8(i))
}

func (s Set) format(n int) string {
	var parts []string
	for i := range n {
		if s.Has(i) {
			parts = append(parts, server(uint8(i)))
		}
	}
	return "{" + strings.Join(parts, ", ") + "}"
}

// Variables renders each TLA+ variable of s for n servers, in the order of
// the VARIABLES declaration, as name and value.
func (s *State) Variables(n int) [][2]string {
	perServer := func(f func(i int) string) string {
		var parts []string
		for i := range n {
			parts = append(parts, server(uint8(i))+" :> "+f(i))
		}
		return "(" + strings.Join(parts, " @@ ") + ")"
	}
	msgs := make([]string, 0, len(s.Messages))
	for _, p := range s.Messages {
		msgs = append(msgs, fmt.Sprintf("%v :> %d", p.Msg, p.Count))
	}
	slices.Sort(msgs)
	return [][2]string{
		{"currentTerm", perServer(func(i int) string { return fmt.Sprint(s.CurrentTerm[i]) })},
		{"state", perServer(func(i int) string { return s.State[i].String() })},
		{"votedFor", perServer(func(i int) string { return serverOrNil(s.VotedFor[i]) })},
		{"leader", perServer(func(i int) string { return serverOrNil(s.Leader[i]) })},
		{"log", perServer(func(i int) string { return s.Log[i].String() })},
		{"commitIndex", perServer(func(i int) string { return fmt.Sprint(s.CommitIndex[i]) })},
		{"snapshotIndex", perServer(func(i int) string { return fmt.Sprint(s.SnapshotIndex[i]) })},
		{"snapshotTerm", perServer(func(i int) string { return fmt.Sprint(s.SnapshotTerm[i]) })},
		{"votesGranted", perServer(func(i int) string { return s.VotesGranted[i].format(n) })},
		{"votesRejected", perServer(func(i int) string { return s.VotesRejected[i].format(n) })},
		{"nextIndex", perServer(func(i int) string {
			return perServer(func(j int) string { return fmt.Sprint(s.NextIndex[i][j]) })
		})},
		{"matchIndex", perServer(func(i int) string {
			return perServer(func(j int) string { return fmt.Sprint(s.MatchIndex[i][j]) })
		})},
		{"leaderRecent", perServer(func(i int) string { return strings.ToUpper(fmt.Sprint(s.LeaderRecent[i])) })},
		{"recentActive", perServer(func(i int) string { return s.RecentActive[i].format(n) })},
		{"leadTransferee", perServer(func(i int) string { return serverOrNil(s.LeadTransferee[i]) })},
		{"now", fmt.Sprint(s.Now)},
		{"heardAt", perServer(func(i int) string { return fmt.Sprint(s.HeardAt[i]) })},
		{"readSeq", perServer(func(i int) string { return fmt.Sprint(s.ReadSeq[i]) })},
		{"roundStart", perServer(func(i int) string { return fmt.Sprint(s.RoundStart[i]) })},
		{"readAcks", perServer(func(i int) string { return s.ReadAcks[i].format(n) })},
		{"pendingRead", perServer(func(i int) string {
			p := s.PendingRead[i]
			from := "Nil"
			if p.From != 0 {
				from = server(p.From - 1)
			}
			return fmt.Sprintf("[index |-> %d, required |-> %v, from |-> %s, seq |-> %d]", p.Index, p.Required, from, p.Seq)
		})},
		{"followerRead", perServer(func(i int) string {
			r := s.FollowerRead[i]
			phase := [...]string{"None", "Waiting", "Ready"}[r.Phase]
			return fmt.Sprintf("[index |-> %d, required |-> %v, phase |-> %q, seq |-> %d]", r.Index, r.Required, phase, r.Seq)
		})},
		{"lastRead", fmt.Sprintf("[served |-> %v, required |-> %v]", s.LastRead.Served, s.LastRead.Required)},
		{"messages", "<<" + strings.Join(msgs, ",\n      ") + ">>"},
	}
}

// Format renders the counterexample as TLC does: the action, then the
// variables; after the first state only the variables that changed.
func (v *Violation) Format(n int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Invariant %s is violated by this behaviour of %d steps:\n", v.Invariant, len(v.Trace)-1)
	var prev [][2]string
	for k, st := range v.Trace {
		fmt.Fprintf(&b, "%d: <%s>\n", k+1, st.Action)
		vars := st.State.Variables(n)
		for x, kv := range vars {
			if prev != nil && prev[x][1] == kv[1] {
				continue
			}
			fmt.Fprintf(&b, "/\\ %s = %s\n", kv[0], kv[1])
		}
		prev = vars
	}
	return b.String()
}
