----------------------------- MODULE TraceRaft -----------------------------
(***************************************************************************)
(* Trace validation with TLC: does a run of the implementation follow      *)
(* Raft.tla? The input is the NDJSON trace the simulator writes            *)
(* (harness/trace.go, raftsim's trace.ndjson). Each line with a "name" is  *)
(* one action of one node's core, named as in Raft.tla, with the message   *)
(* it received or sent (in Raft.tla's field names, node IDs as servers)    *)
(* and the node's variables after it. TLC checks that some behaviour of    *)
(* Raft.tla takes the lines' actions in order and reaches, after each, the *)
(* variables the line reports.                                             *)
(*                                                                         *)
(* spec/validate.go does the same in Go for every simulated run; this      *)
(* module is the reference it can be held against, and the way to replay   *)
(* one failing trace in the TLA+ tools. The few steps here that are not    *)
(* actions of Raft.tla are the ones spec/validate.go takes too:            *)
(*  - CompactLog, which the runtime performs without the core, is          *)
(*    inferred from a grown snapshotIndex;                                 *)
(*  - a restart may lose a leader's newest entries, appended but not yet   *)
(*    synced (and so never sent); the log is cut back to what survived,    *)
(*    never below the commit index;                                        *)
(*  - nextIndex is the implementation's to choose (it sends ahead of       *)
(*    acknowledgements), so an AppendEntries line sets it from its         *)
(*    message, and a SendSnapshot line lowers it to the compacted prefix   *)
(*    (the implementation's snapshot may be newer than its compaction);    *)
(*  - leaderRecent follows the implementation's clock: each line's value   *)
(*    is taken before the node's next action;                              *)
(*  - a ClientRequest line may append a batch: ClientRequest is taken      *)
(*    until the log is as long as the line says;                           *)
(*  - the lines of the read path (ReadIndex, ServeReadIndex, LeaseRead,   *)
(*    ForwardReadIndex) change no variable of Raft.tla: the               *)
(*    implementation batches reads into rounds, several in flight, that    *)
(*    Raft.tla's one pending read does not describe. Each read is held     *)
(*    instead to ReadLinearizable's test on the group's state: it must     *)
(*    include CommittedLog as of when it began (see ReadFromLine).         *)
(* A received message is taken from its line, not looked up in messages:   *)
(* the network may lose, duplicate and reorder, and the line says what     *)
(* arrived. Entries received carry value 1 for a client's entry and Nil    *)
(* for a leader's no-op; a configuration entry is known by its index and   *)
(* term, and carries the configuration of the ChangeConf or LeaveJoint     *)
(* line that appended it (a leader appends at an index once in its term).  *)
(*                                                                         *)
(* Membership. The servers are the node IDs; InitServer is the voters of   *)
(* the trace's first line, the bootstrap configuration, and the nodes that *)
(* join later start outside it, as Raft.tla's servers outside InitServer   *)
(* do. A ChangeConf line takes ChangeConf with the voters and learners of  *)
(* the configuration it reports; the core leaves a joint configuration,    *)
(* automatically or on an explicit empty change, with a LeaveJoint line.   *)
(* Every line's configuration is Configuration(i) after it, as the Go      *)
(* validator (harness/validate.go) checks it, with the same exceptions:    *)
(*  - a joint configuration is Raft.tla's with autoLeave, whether or not   *)
(*    the core leaves it on its own: an explicit leave is the same         *)
(*    LeaveJoint, only later;                                              *)
(*  - a node that joined and installed a snapshot taken before any         *)
(*    configuration entry reports the bootstrap configuration, where       *)
(*    Raft.tla's falls back to none; either way it is no voter, and its    *)
(*    configuration goes unchecked until its log has a configuration       *)
(*    entry;                                                               *)
(*  - a stranger (a node started with a configuration of its own, which    *)
(*    no server of Raft.tla has) ends validation: the lines from its       *)
(*    first one on are left out (TraceLen), as the Go validator stops      *)
(*    there too.                                                           *)
(*                                                                         *)
(* Run (see tla/README.md):                                                *)
(*   JSON=trace.ndjson java -cp tla2tools.jar:CommunityModules-deps.jar \  *)
(*     tlc2.TLC -config TraceRaft.cfg TraceRaft                            *)
(***************************************************************************)
EXTENDS Raft, Json, IOUtils

\* The trace file: the JSON environment variable, or trace.ndjson.
JsonFile == IF "JSON" \in DOMAIN IOEnv THEN IOEnv.JSON ELSE "trace.ndjson"

\* The lines of the trace file, read once.
TraceFile == TLCEval(ndJsonDeserialize(JsonFile))

\* The core's lines have a "name"; the simulator's own lines (faults,
\* clients, nodes started) have "sim".
RaftLines == TLCEval(SelectSeq(TraceFile, LAMBDA x : "name" \in DOMAIN x))
SimLines == TLCEval(SelectSeq(TraceFile, LAMBDA x : "sim" \in DOMAIN x))

ASSUME Len(RaftLines) > 0

\* The nodes started as strangers, with a configuration of their own: the
\* simulator's "node-start" lines say which.
TraceStranger ==
    TLCEval({SimLines[k].nid : k \in {j \in DOMAIN SimLines :
                                        /\ SimLines[j].sim = "node-start"
                                        /\ SimLines[j].detail = "stranger=true"}})

\* The lines validated: those before the first line of a stranger, which
\* Raft.tla does not describe (see the header). The stranger's first line
\* (its start) comes before the simulator's "node-start" line.
TraceLen ==
    IF \A k \in DOMAIN RaftLines : RaftLines[k].nid \notin TraceStranger
      THEN Len(RaftLines)
      ELSE (CHOOSE k \in DOMAIN RaftLines :
                /\ RaftLines[k].nid \in TraceStranger
                /\ \A j \in 1..(k - 1) : RaftLines[j].nid \notin TraceStranger) - 1

TraceLog == TLCEval(SubSeq(RaftLines, 1, TraceLen))

\* The elements of a JSON list.
SeqSet(s) == {s[k] : k \in DOMAIN s}

\* A line's configuration (raft.ConfState, node IDs as servers) as Raft.tla's
\* record. Raft.tla's joint configurations all leave automatically; one the
\* core leaves on an explicit empty change is left by the same LeaveJoint,
\* only later, so it is the spec's joint configuration with autoLeave.
ConfOf(c) ==
    [voters |-> SeqSet(c.Voters), outgoing |-> SeqSet(c.VotersOutgoing),
     learners |-> SeqSet(c.Learners), autoLeave |-> c.AutoLeave \/ Len(c.VotersOutgoing) > 0]

\* The bootstrap voters: every node running at the start reports them, and
\* the trace's first line is one of those nodes' start.
TraceInitServer == TLCEval(SeqSet(RaftLines[1].state.config.Voters))

\* The servers are the node IDs the trace names: the nodes that act and the
\* members of their configurations.
TraceServer ==
    TLCEval({TraceLog[k].nid : k \in DOMAIN TraceLog} \cup
            UNION {Members(ConfOf(TraceLog[k].state.config)) : k \in DOMAIN TraceLog})

\* The configuration entries the trace's leaders appended, by index and
\* term: a ChangeConf or LeaveJoint line reports the index, the term and the
\* configuration of the entry it appended. Only one leader appends in a
\* term, once at each index, so the index and term name the entry.
ConfLines == {k \in DOMAIN TraceLog : TraceLog[k].name \in {"ChangeConf", "LeaveJoint"}}
ConfKey(k) == <<TraceLog[k].state.lastIndex, TraceLog[k].state.currentTerm>>
TraceConfEntry ==
    TLCEval([key \in {ConfKey(k) : k \in ConfLines} |->
                ConfOf(TraceLog[CHOOSE k \in ConfLines : ConfKey(k) = key].state.config)])

\* The bootstrap configuration, InitConfiguration of the servers of
\* InitServer.
BootConf == [voters |-> InitServer, outgoing |-> {}, learners |-> {}, autoLeave |-> FALSE]

NodeOrNil(id) == IF id = 0 THEN Nil ELSE id

-----------------------------------------------------------------------------
(* Trace variables *)

VARIABLES
    l,         \* the index of the next line to match
    lineLR,    \* each node's leaderRecent as its latest line reported it
    rounds,    \* CommittedLog when each leader's read round began, by <<node, seq>>
    forwarded  \* CommittedLog when each forwarded read was sent, by <<node, seq>>

traceVars == <<l, lineLR, rounds, forwarded>>

line == TraceLog[l]
Node == line.nid
Post == line.state
Msg == line.msg

IsLine(name) == l <= Len(TraceLog) /\ line.name = name

\* The configuration the line reports.
LineConf == ConfOf(Post.config)

\* The entry at index idx of a message, as Raft.tla's record (see the
\* header for values and configurations).
EntryOf(idx, e) ==
    IF <<idx, e.term>> \in DOMAIN TraceConfEntry
      THEN [term |-> e.term, value |-> Nil, conf |-> TraceConfEntry[<<idx, e.term>>]]
      ELSE [term |-> e.term, value |-> IF e.value = 0 THEN Nil ELSE e.value, conf |-> NoConf]

\* The entries of a message, from index mprevLogIndex + 1 on.
EntriesOf(m) == [k \in 1..Len(m.mentries) |-> EntryOf(m.mprevLogIndex + k, m.mentries[k])]

\* The message of the line as Raft.tla's record of its type.
MessageOf(m) ==
    CASE m.mtype \in {PreVoteRequest, RequestVoteRequest} ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mlastLogTerm |-> m.mlastLogTerm,
             mlastLogIndex |-> m.mlastLogIndex, mtransfer |-> m.mtransfer,
             msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype \in {PreVoteResponse, RequestVoteResponse} ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mgranted |-> m.mgranted,
             msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = AppendEntriesRequest ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mprevLogIndex |-> m.mprevLogIndex,
             mprevLogTerm |-> m.mprevLogTerm, mentries |-> EntriesOf(m),
             mcommitIndex |-> m.mcommitIndex, msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = AppendEntriesResponse ->
            [mtype |-> m.mtype, mterm |-> m.mterm, msuccess |-> m.msuccess,
             mmatchIndex |-> m.mmatchIndex, msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = HeartbeatRequest ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mcommitIndex |-> m.mcommitIndex,
             mseq |-> m.mseq, msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = HeartbeatResponse ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mseq |-> m.mseq,
             msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = InstallSnapshotRequest ->
            \* The image is the sender's committed prefix, which no later
            \* action of the sender changes.
            [mtype |-> m.mtype, mterm |-> m.mterm, msnapshotIndex |-> m.msnapshotIndex,
             msnapshotTerm |-> m.msnapshotTerm,
             mentries |-> SubSeq(log[m.msource], 1, m.msnapshotIndex),
             msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = ReadIndexRequest ->
            [mtype |-> m.mtype, mterm |-> m.mterm, mseq |-> m.mseq,
             msource |-> m.msource, mdest |-> m.mdest]
      [] m.mtype = ReadIndexResponse ->
            [mtype |-> m.mtype, mterm |-> m.mterm, msuccess |-> m.msuccess,
             mindex |-> m.mindex, mseq |-> m.mseq, msource |-> m.msource, mdest |-> m.mdest]
      [] OTHER ->
            [mtype |-> m.mtype, mterm |-> m.mterm, msource |-> m.msource, mdest |-> m.mdest]

\* Configuration(i) of Raft.tla with lg for i's log. The step's is
\* ConfigurationOf(i, log'[i]): Configuration(i)' would prime i as well,
\* and i is the line's node, which depends on l.
ConfigurationOf(i, lg) ==
    LET idxs == {idx \in 1..Len(lg) : IsConfEntry(lg[idx])}
    IN IF idxs = {} THEN InitConfiguration(i) ELSE lg[MaxOf(idxs)].conf

\* The line's variables are the spec's after the step.
ValidatePost(i) ==
    /\ currentTerm'[i] = Post.currentTerm
    /\ state'[i] = Post.state
    /\ votedFor'[i] = NodeOrNil(Post.votedFor)
    /\ leader'[i] = NodeOrNil(Post.leader)
    /\ Len(log'[i]) = Post.lastIndex
    /\ (IF Post.lastIndex = 0 THEN 0
        ELSE IF Post.lastIndex = snapshotIndex'[i] THEN snapshotTerm'[i]
        ELSE log'[i][Post.lastIndex].term) = Post.lastTerm
    /\ commitIndex'[i] = Post.commitIndex
    /\ snapshotIndex'[i] = Post.snapshotIndex
    /\ snapshotTerm'[i] = Post.snapshotTerm
    /\ leadTransferee'[i] = NodeOrNil(Post.leadTransferee)
    /\ \/ ConfigurationOf(i, log'[i]) = LineConf
       \/ ConfIndex(i) = 0 /\ LineConf = BootConf \* a joined node's snapshot (header)

\* The line's read (read-path lines only) and its key. A follower numbers
\* its forwarded reads from a random 64-bit start; TLC's Json reads such a
\* number cut to its integers, the same way on every line, so it still
\* tells the reads apart unless two cut numbers collide.
ReadKey == <<line.nid, line.read.seq>>

\* served includes what a read had to include: ReadLinearizable's test.
Includes(served, required) ==
    /\ Len(required) <= Len(served)
    /\ SubSeq(served, 1, Len(required)) = required

\* f without the reads of node i, or without the read k.
DropNode(f, i) == [k \in {k \in DOMAIN f : k[1] /= i} |-> f[k]]
DropKey(f, key) == [k \in DOMAIN f \ {key} |-> f[k]]

\* The reads that can still be answered after the line: a restart drops
\* all of the node's, and a leader's rounds end when it no longer leads.
RoundsAfter(f) == IF line.name = "Restart" \/ Post.state /= Leader THEN DropNode(f, Node) ELSE f
ForwardedAfter(f) == IF line.name = "Restart" THEN DropNode(f, Node) ELSE f

\* The line is matched: on to the next one.
NextLine ==
    /\ ValidatePost(Node)
    /\ lineLR' = [lineLR EXCEPT ![Node] = Post.leaderRecent]
    /\ l' = l + 1

-----------------------------------------------------------------------------
(* Steps that prepare a line (see the header); the line stays the same. *)

\* The runtime compacted the log.
CompactLogFromLine ==
    /\ l <= Len(TraceLog)
    /\ Post.snapshotIndex > snapshotIndex[Node]
    /\ ~(line.name = "HandleInstallSnapshotRequest" /\ Msg.msnapshotIndex = Post.snapshotIndex)
    /\ CompactLog(Node, Post.snapshotIndex)
    /\ UNCHANGED traceVars

\* A restart lost a leader's unsynced, unsent newest entries.
LoseUnsyncedEntries ==
    /\ IsLine("Restart")
    /\ commitIndex[Node] <= Post.lastIndex
    /\ Post.lastIndex < Len(log[Node])
    /\ log' = [log EXCEPT ![Node] = SubSeq(log[Node], 1, Post.lastIndex)]
    /\ UNCHANGED <<currentTerm, state, votedFor, leader, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee,
                   readVars, messages, traceVars>>

\* nextIndex as the implementation chose it for this send.
NextIndexFromLine ==
    /\ \/ IsLine("AppendEntries") /\ nextIndex[Node][Msg.mdest] /= Msg.mprevLogIndex + 1
       \/ IsLine("SendSnapshot") /\ nextIndex[Node][Msg.mdest] > snapshotIndex[Node]
    /\ nextIndex' = [nextIndex EXCEPT ![Node][Msg.mdest] =
                        IF line.name = "AppendEntries" THEN Msg.mprevLogIndex + 1
                        ELSE snapshotIndex[Node]]
    /\ UNCHANGED <<currentTerm, state, votedFor, leader, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, matchIndex,
                   leaderRecent, recentActive, leadTransferee, readVars,
                   messages, traceVars>>

\* leaderRecent as the node's latest line reported it.
LeaderRecentFromLine ==
    /\ l <= Len(TraceLog)
    /\ leaderRecent[Node] /= lineLR[Node]
    /\ leaderRecent' = [leaderRecent EXCEPT ![Node] = lineLR[Node]]
    /\ UNCHANGED <<currentTerm, state, votedFor, leader, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, nextIndex,
                   matchIndex, recentActive, leadTransferee, readVars,
                   messages, traceVars>>

Prepare ==
    \/ CompactLogFromLine
    \/ LoseUnsyncedEntries
    \/ NextIndexFromLine
    \/ LeaderRecentFromLine

\* A line's action is taken once its preparation is done.
Prepared ==
    /\ leaderRecent[Node] = lineLR[Node]
    /\ ~ENABLED CompactLogFromLine
    /\ ~ENABLED LoseUnsyncedEntries
    /\ ~ENABLED NextIndexFromLine

-----------------------------------------------------------------------------
(* The line's action *)

\* A batch of proposals is one ClientRequest per entry; the line is matched
\* once the log is as long as it says.
ClientRequestFromLine ==
    /\ IsLine("ClientRequest")
    /\ leaderRecent[Node] = lineLR[Node]
    /\ ClientRequest(Node, 1)
    /\ IF Len(log'[Node]) = Post.lastIndex
         THEN NextLine /\ UNCHANGED <<rounds, forwarded>>
         ELSE UNCHANGED traceVars

\* A line of the read path changes no variable of Raft.tla: the
\* implementation batches reads into rounds, several in flight, where
\* Raft.tla has one pending read per leader. Each read is held instead to
\* ReadLinearizable on the spec's state of the group, as spec/validate.go
\* does: a leader's round must include CommittedLog as of the round's
\* start (ReadIndex), a lease read CommittedLog at once, and the answer a
\* follower accepts (HandleReadIndexResponse, in ActionFromLine) what was
\* committed when it forwarded the read (ForwardReadIndex).
ReadLines == {"ReadIndex", "ServeReadIndex", "LeaseRead", "ForwardReadIndex"}

\* The read is served at its index from the node's log.
ServedIncludes(required) ==
    /\ line.read.index <= Len(log[Node])
    /\ Includes(SubSeq(log[Node], 1, line.read.index), required)

ReadFromLine ==
    /\ l <= Len(TraceLog)
    /\ line.name \in ReadLines
    /\ Prepared
    /\ UNCHANGED vars
    /\ CASE line.name = "ReadIndex" ->
              /\ rounds' = RoundsAfter((ReadKey :> CommittedLog) @@ rounds)
              /\ UNCHANGED forwarded
        [] line.name = "ServeReadIndex" ->
              /\ ReadKey \in DOMAIN rounds
              /\ ServedIncludes(rounds[ReadKey])
              /\ rounds' = RoundsAfter(DropKey(rounds, ReadKey))
              /\ UNCHANGED forwarded
        [] line.name = "LeaseRead" ->
              /\ ServedIncludes(CommittedLog)
              /\ rounds' = RoundsAfter(rounds)
              /\ UNCHANGED forwarded
        [] line.name = "ForwardReadIndex" ->
              /\ rounds' = RoundsAfter(rounds)
              /\ forwarded' = (ReadKey :> CommittedLog) @@ forwarded
    /\ NextLine

\* An answer a follower accepts (its line has a read) covers what was
\* committed when it forwarded the read; one it drops has no read.
ReadAnswered ==
    IF line.name = "HandleReadIndexResponse" /\ "read" \in DOMAIN line
      THEN /\ ReadKey \in DOMAIN forwarded
           /\ line.read.index >= Len(forwarded[ReadKey])
           /\ forwarded' = ForwardedAfter(DropKey(forwarded, ReadKey))
      ELSE forwarded' = ForwardedAfter(forwarded)

Handlers == {"HandlePreVoteRequest", "HandlePreVoteResponse",
             "HandleRequestVoteRequest", "HandleRequestVoteResponse",
             "HandleAppendEntriesRequest", "HandleAppendEntriesResponse",
             "HandleHeartbeatRequest", "HandleHeartbeatResponse",
             "HandleInstallSnapshotRequest", "HandleTimeoutNowRequest",
             "HandleReadIndexRequest", "HandleReadIndexResponse", "UpdateTerm"}

\* The action a line names, on its node (and peer, and message).
LineAction(i) ==
    CASE line.name = "Restart" -> Restart(i)
      [] line.name = "Timeout" -> Timeout(i)
      [] line.name = "BecomeCandidate" -> BecomeCandidate(i)
      [] line.name = "BecomeLeader" -> BecomeLeader(i)
      [] line.name = "CheckQuorum" -> CheckQuorum(i)
      [] line.name = "ElectionTimerElapsed" -> ElectionTimerElapsed(i)
      [] line.name = "ChangeConf" -> ChangeConf(i, LineConf.voters, LineConf.learners)
      [] line.name = "LeaveJoint" -> LeaveJoint(i)
      [] line.name = "AdvanceCommitIndex" -> AdvanceCommitIndex(i)
      [] line.name = "AppendEntries" -> AppendEntries(i, Msg.mdest)
      [] line.name = "Heartbeat" -> Heartbeat(i, Msg.mdest)
      [] line.name = "SendSnapshot" -> SendSnapshot(i, Msg.mdest)
      [] line.name = "TransferLeadership" -> TransferLeadership(i, Post.leadTransferee)
      [] line.name = "SendTimeoutNow" -> SendTimeoutNow(i)
      [] line.name = "AbortTransfer" -> AbortTransfer(i)
      [] line.name = "UpdateTerm" -> UpdateTerm(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandlePreVoteRequest" -> HandlePreVoteRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandlePreVoteResponse" -> HandlePreVoteResponse(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleRequestVoteRequest" -> HandleRequestVoteRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleRequestVoteResponse" -> HandleRequestVoteResponse(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleAppendEntriesRequest" -> HandleAppendEntriesRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleAppendEntriesResponse" -> HandleAppendEntriesResponse(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleHeartbeatRequest" -> HandleHeartbeatRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleHeartbeatResponse" -> HandleHeartbeatResponse(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleInstallSnapshotRequest" -> HandleInstallSnapshotRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleTimeoutNowRequest" -> HandleTimeoutNowRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleReadIndexRequest" -> HandleReadIndexRequest(i, Msg.msource, MessageOf(Msg))
      [] line.name = "HandleReadIndexResponse" -> HandleReadIndexResponse(i, Msg.msource, MessageOf(Msg))
      [] OTHER -> FALSE

ActionFromLine ==
    /\ l <= Len(TraceLog)
    /\ line.name \notin {"ClientRequest"} \cup ReadLines
    /\ Prepared
    /\ ReadAnswered
    /\ LineAction(Node)
    /\ NextLine
    /\ rounds' = RoundsAfter(rounds)

-----------------------------------------------------------------------------
(* The trace's behaviour *)

TraceInit ==
    /\ Init
    /\ l = 1
    /\ lineLR = [i \in Server |-> FALSE]
    /\ rounds = <<>>
    /\ forwarded = <<>>

TraceNext ==
    \/ Prepare
    \/ ClientRequestFromLine
    \/ ReadFromLine
    \/ ActionFromLine

TraceSpec == TraceInit /\ [][TraceNext]_<<vars, traceVars>>

\* TLC runs breadth first. The trace is accepted iff some behaviour
\* matches every line; TLC reports a violation of TraceMatched, with the
\* longest matched prefix as its error trace (l is the first line that no
\* step could match), when every behaviour stopped short.
TraceMatched ==
    [](l <= Len(TraceLog) => [](TLCGet("queue") = 1 \/ l > Len(TraceLog)))

=============================================================================
