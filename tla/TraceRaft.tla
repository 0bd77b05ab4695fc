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
(*  - a ClientRequest line may append a batch: ClientRequest is taken     *)
(*    until the log is as long as the line says;                           *)
(*  - a ReadIndex line changes no variable here: the implementation        *)
(*    batches reads into rounds that Raft.tla's one pending read does not  *)
(*    describe (reads are model checked in Raft.tla and checked for        *)
(*    linearizability in every run).                                       *)
(* A received message is taken from its line, not looked up in messages:   *)
(* the network may lose, duplicate and reorder, and the line says what     *)
(* arrived. Entries received carry value 1 for a client's entry and Nil    *)
(* for a leader's no-op.                                                   *)
(*                                                                         *)
(* Run (see tla/README.md):                                                *)
(*   JSON=trace.ndjson java -cp tla2tools.jar:CommunityModules-deps.jar \  *)
(*     tlc2.TLC -config TraceRaft.cfg TraceRaft                            *)
(***************************************************************************)
EXTENDS Raft, Json, IOUtils

\* The trace file: the JSON environment variable, or trace.ndjson.
JsonFile == IF "JSON" \in DOMAIN IOEnv THEN IOEnv.JSON ELSE "trace.ndjson"

\* The core's lines; the simulator's own lines (faults, clients) have "sim".
TraceLog == TLCEval(SelectSeq(ndJsonDeserialize(JsonFile), LAMBDA x : "name" \in DOMAIN x))

\* The servers are the node IDs the trace names.
TraceServer == TLCEval({TraceLog[k].nid : k \in DOMAIN TraceLog})

NodeOrNil(id) == IF id = 0 THEN Nil ELSE id

ASSUME TraceServer \subseteq Server

-----------------------------------------------------------------------------
(* Trace variables *)

VARIABLES
    l,      \* the index of the next line to match
    lineLR  \* each node's leaderRecent as its latest line reported it

traceVars == <<l, lineLR>>

line == TraceLog[l]
Node == line.nid
Post == line.state
Msg == line.msg

IsLine(name) == l <= Len(TraceLog) /\ line.name = name

\* The message of the line as Raft.tla's record of its type.
EntriesOf(m) == [k \in 1..Len(m.mentries) |->
                    [term |-> m.mentries[k].term,
                     value |-> IF m.mentries[k].value = 0 THEN Nil ELSE m.mentries[k].value,
                     conf |-> NoConf]]

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

-----------------------------------------------------------------------------
(* The line's action *)

\* A batch of proposals is one ClientRequest per entry; the line is matched
\* once the log is as long as it says.
ClientRequestFromLine ==
    /\ IsLine("ClientRequest")
    /\ leaderRecent[Node] = lineLR[Node]
    /\ ClientRequest(Node, 1)
    /\ IF Len(log'[Node]) = Post.lastIndex
         THEN NextLine
         ELSE UNCHANGED traceVars

ReadIndexFromLine ==
    /\ IsLine("ReadIndex")
    /\ UNCHANGED vars
    /\ NextLine

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

\* A line's action is taken once its preparation is done.
Prepared ==
    /\ leaderRecent[Node] = lineLR[Node]
    /\ ~ENABLED CompactLogFromLine
    /\ ~ENABLED LoseUnsyncedEntries
    /\ ~ENABLED NextIndexFromLine

ActionFromLine ==
    /\ l <= Len(TraceLog)
    /\ line.name \notin {"ClientRequest", "ReadIndex"}
    /\ Prepared
    /\ LineAction(Node)
    /\ NextLine

-----------------------------------------------------------------------------
(* The trace's behaviour *)

TraceInit ==
    /\ Init
    /\ l = 1
    /\ lineLR = [i \in Server |-> FALSE]

TraceNext ==
    \/ Prepare
    \/ ClientRequestFromLine
    \/ ReadIndexFromLine
    \/ ActionFromLine

TraceSpec == TraceInit /\ [][TraceNext]_<<vars, traceVars>>

\* TLC runs breadth first. The trace is accepted iff some behaviour
\* matches every line; TLC reports a violation of TraceMatched, with the
\* longest matched prefix as its error trace (l is the first line that no
\* step could match), when every behaviour stopped short.
TraceMatched ==
    [](l <= Len(TraceLog) => [](TLCGet("queue") = 1 \/ l > Len(TraceLog)))

=============================================================================
