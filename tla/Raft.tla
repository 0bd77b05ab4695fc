-------------------------------- MODULE Raft --------------------------------
(***************************************************************************)
(* Raft as github.com/raftcheck/raftcheck implements it: elections with     *)
(* PreVote, CheckQuorum and leader stickiness; log replication with the    *)
(* current-term commit rule; heartbeats that carry a safe commit index;    *)
(* snapshots and log compaction; leadership transfer; joint-consensus     *)
(* membership changes with learners; crash and restart                   *)
(* with durable currentTerm, votedFor, log and snapshot; a network that    *)
(* loses, duplicates and reorders messages.                                *)
(*                                                                         *)
(* The Go package spec/ is this module, action for action and variable for *)
(* variable, with the same names (Go capitalises the first letter).        *)
(* spec/tla_test.go fails when the two drift apart.                        *)
(*                                                                         *)
(* Modelling choices, each mirrored in spec/:                              *)
(*  - log[i] is the whole log, including the prefix that a snapshot has    *)
(*    compacted. Entries 1..snapshotIndex[i] stand for the state-machine   *)
(*    image of the snapshot; the protocol reads them only through          *)
(*    snapshotIndex/snapshotTerm, and the invariants may read them all.    *)
(*  - "Recently heard from a leader" is the boolean leaderRecent[i]: set   *)
(*    when i hears from the leader of its term (or becomes leader), and    *)
(*    cleared when its election timer elapses (ElectionTimerElapsed,       *)
(*    Timeout) or when it learns a higher term; a restart sets it. It is   *)
(*    the abstraction of etcd's electionElapsed < electionTimeout. It is  *)
(*    set only under CheckQuorum, the one mode in which it matters.        *)
(*  - recentActive[i] is the set of peers the leader i has heard from in   *)
(*    the current CheckQuorum interval.                                    *)
(*  - AppendEntriesRequest carries every entry from nextIndex on (or none, *)
(*    as a probe), as the implementation batches them. A rejection carries *)
(*    a hint (the follower's guess of the last index that may match) in    *)
(*    mmatchIndex; the leader moves nextIndex back to at most hint+1 and   *)
(*    at least by one, never below matchIndex+1. This is the "reject with  *)
(*    a hint" form of fast backtracking.                                   *)
(*  - A configuration is an entry of the log, [voters, outgoing, learners, *)
(*    autoLeave], and takes effect when appended: a server's              *)
(*    configuration is that of the last configuration entry of its log    *)
(*    (whose compacted prefix stands for the snapshot), else the initial  *)
(*    one. Server is the set of potential servers; InitServer the voters  *)
(*    of the initial configuration; the others start outside it.          *)
(*  - The bounds (MaxTerm, MaxLogLen, MaxMessages) are a state constraint, *)
(*    not part of the actions: TLC and spec/ discard states outside them.  *)
(***************************************************************************)
EXTENDS Naturals, FiniteSets, Sequences, Bags, TLC

CONSTANTS
    Server,             \* the set of servers
    Value,              \* the values clients propose
    Nil,                \* no server / no value (the value of a no-op entry)
    MaxTerm,            \* bound on currentTerm (state constraint)
    MaxLogLen,          \* bound on the length of every log (state constraint)
    MaxMessages,        \* bound on the messages in flight, duplicates counted
    PreVoteEnabled,     \* BOOLEAN: campaign with a pre-vote round first
    CheckQuorumEnabled, \* BOOLEAN: leaders step down without a quorum; stickiness
    SnapshotEnabled,    \* BOOLEAN: servers may compact their logs
    TransferEnabled,    \* BOOLEAN: leaders may hand leadership over
    ReadsEnabled,       \* BOOLEAN: ReadIndex and lease reads, and real time
    ElectionTimeout,    \* ticks of real time before an election timer fires
    MaxClockDrift,      \* the true bound on the error of a measured interval
    LeaseDriftBound,    \* the drift the lease subtracts; safe iff >= 2 * MaxClockDrift
    MaxTime,            \* bound on now (state constraint)
    MaxReads,           \* bound on each leader's read rounds and each follower's forwarded reads (state constraint)
    InitServer,         \* the voters of the initial configuration, a subset of Server
    MembershipEnabled   \* BOOLEAN: leaders change the configuration

\* Server states.
Follower == "Follower"
PreCandidate == "PreCandidate"
Candidate == "Candidate"
Leader == "Leader"

\* Message types (the Go constants in raft/ have the same names).
PreVoteRequest == "PreVoteRequest"
PreVoteResponse == "PreVoteResponse"
RequestVoteRequest == "RequestVoteRequest"
RequestVoteResponse == "RequestVoteResponse"
AppendEntriesRequest == "AppendEntriesRequest"
AppendEntriesResponse == "AppendEntriesResponse"
HeartbeatRequest == "HeartbeatRequest"
HeartbeatResponse == "HeartbeatResponse"
InstallSnapshotRequest == "InstallSnapshotRequest"
TimeoutNowRequest == "TimeoutNowRequest"
ReadIndexRequest == "ReadIndexRequest"
ReadIndexResponse == "ReadIndexResponse"

VARIABLES
    currentTerm,   \* durable: the latest term the server has seen
    state,         \* Follower, PreCandidate, Candidate or Leader
    votedFor,      \* durable: the candidate voted for in currentTerm, or Nil
    leader,        \* the leader i knows of in currentTerm, or Nil
    log,           \* durable: sequence of [term, value]; see snapshotIndex
    commitIndex,   \* the highest index known to be committed
    snapshotIndex, \* durable: entries 1..snapshotIndex are compacted
    snapshotTerm,  \* durable: the term of the entry at snapshotIndex
    votesGranted,  \* the servers that granted the current (pre-)vote campaign
    votesRejected, \* the servers that rejected it
    nextIndex,     \* leader: the next index to send to each peer
    matchIndex,    \* leader: the highest index known to match on each peer
    leaderRecent,  \* heard from a live leader within an election timeout
    recentActive,  \* leader: peers heard from in this CheckQuorum interval
    leadTransferee, \* leader: the server leadership is being handed to, or Nil
    now,           \* ghost: real time, which no server can read
    heardAt,       \* when i last heard from a leader: its election timer start
    readSeq,       \* leader: the sequence number of its latest read round
    roundStart,    \* leader: when round readSeq began
    readAcks,      \* leader: the servers that acknowledged round readSeq
    pendingRead,   \* leader: the ReadIndex read waiting for its round, or NoRead
    followerRead,  \* follower: its read forwarded to the leader (phase "None" if none)
    lastRead,      \* ghost: what the latest read returned and had to include
    messages       \* the network: a bag of messages (message -> count)

\* The variables of reads and time, which most actions leave alone.
readVars == <<now, heardAt, readSeq, roundStart, readAcks, pendingRead,
              followerRead, lastRead>>
\* A leader's read round, forgotten when it steps down.
roundVars == <<readSeq, roundStart, readAcks, pendingRead>>

vars == <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
          snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex, leaderRecent,
          recentActive, leadTransferee, readVars, messages>>

-----------------------------------------------------------------------------
(* Helpers *)

Min(a, b) == IF a < b THEN a ELSE b
Max(a, b) == IF a > b THEN a ELSE b
MaxOf(S) == CHOOSE x \in S : \A y \in S : x >= y

\* A configuration is [voters, outgoing, learners, autoLeave]. It is joint
\* when outgoing (the old voters) is not empty; then a quorum needs a
\* majority of both halves. Learners count in no quorum. A server may be an
\* outgoing voter and a learner at once (a voter being demoted).
IsMajority(S, voters) == 2 * Cardinality(S \cap voters) > Cardinality(voters)
IsQuorumOf(S, cfg) ==
    /\ IsMajority(S, cfg.voters)
    /\ cfg.outgoing = {} \/ IsMajority(S, cfg.outgoing)
AllVoters(cfg) == cfg.voters \cup cfg.outgoing
Members(cfg) == cfg.voters \cup cfg.outgoing \cup cfg.learners

\* The conf of an entry that is no configuration: it has no voters.
NoConf == [voters |-> {}, outgoing |-> {}, learners |-> {}, autoLeave |-> FALSE]
IsConfEntry(e) == e.conf.voters /= {}

\* The initial configuration: the servers of InitServer vote; the others
\* have none, and wait for a leader to contact them.
InitConfiguration(i) ==
    IF i \in InitServer
      THEN [voters |-> InitServer, outgoing |-> {}, learners |-> {}, autoLeave |-> FALSE]
      ELSE NoConf

\* The index of the last configuration entry of i's log, 0 if none.
ConfIndex(i) ==
    LET idxs == {idx \in 1..Len(log[i]) : IsConfEntry(log[i][idx])}
    IN IF idxs = {} THEN 0 ELSE MaxOf(idxs)

\* A configuration takes effect when appended, committed or not, on every
\* server: a server that kept the old configuration until it learned of
\* the commit could be elected by an old majority after the new
\* configuration had committed entries that majority lacks. Truncating the
\* log can take a server back to an earlier configuration.
Configuration(i) ==
    IF ConfIndex(i) = 0 THEN InitConfiguration(i) ELSE log[i][ConfIndex(i)].conf

\* Only a voter campaigns: a learner's election would need votes it does
\* not count.
IsVoter(i) == i \in AllVoters(Configuration(i))

\* S is a quorum of i's configuration. A server outside it counts for
\* nothing, so a leader that removed itself commits without counting
\* itself.
IsQuorum(i, S) == IsQuorumOf(S, Configuration(i))

LastIndex(i) == Len(log[i])
\* The term at idx, read the way an implementation can after compaction.
TermAt(i, idx) ==
    IF idx = 0 THEN 0
    ELSE IF idx = snapshotIndex[i] THEN snapshotTerm[i]
    ELSE log[i][idx].term
LastTerm(i) == TermAt(i, LastIndex(i))

\* A vote (or pre-vote) goes only to a candidate whose log is at least as
\* up to date, so that any leader holds every committed entry.
LogUpToDate(i, m) ==
    \/ m.mlastLogTerm > LastTerm(i)
    \/ /\ m.mlastLogTerm = LastTerm(i)
       /\ m.mlastLogIndex >= LastIndex(i)

\* Leader stickiness: with CheckQuorum, a server that heard from a live
\* leader recently rejects (pre-)votes, so a partitioned server that comes
\* back cannot depose a healthy leader.
InLease(i) == CheckQuorumEnabled /\ leaderRecent[i]

\* With real time modelled, the election timer of a server that heard from
\* a leader fires no sooner than ElectionTimeout after, as measured by its
\* clock, which may run fast by MaxClockDrift.
TimerElapsed(i) ==
    \/ ~ReadsEnabled
    \/ ~leaderRecent[i]
    \/ now + MaxClockDrift >= heardAt[i] + ElectionTimeout

\* A leader's pending read: its own (from = Nil) or one a follower
\* forwarded (from = the follower, seq = the number of its read).
NoRead == [index |-> 0, required |-> << >>, from |-> Nil, seq |-> 0]
\* A follower's forwarded read: "Waiting" for the leader's read index, then
\* "Ready" to be served once applied. seq is the number of the follower's
\* latest forwarded read, kept when the read ends (see ForwardReadIndex).
NoFollowerRead == [index |-> 0, required |-> << >>, phase |-> "None", seq |-> 0]
\* followerRead with i's read ended: no read, the number kept.
EndFollowerRead(i) ==
    [followerRead EXCEPT ![i] = [NoFollowerRead EXCEPT !.seq = followerRead[i].seq]]

Send(m) == messages' = messages (+) SetToBag({m})
SendAll(ms) == messages' = messages (+) SetToBag(ms)
Discard(m) == messages' = messages (-) SetToBag({m})
Reply(response, request) ==
    messages' = (messages (-) SetToBag({request})) (+) SetToBag({response})

\* Stepping down (or restarting) forgets the leader's view of its peers and
\* the votes of a campaign, as the implementation's reset does; stale
\* values would only split equal states apart.
\* A new leader resets the same fields but starts nextIndex after its log.
ResetLeaderStateFrom(i, next) ==
    /\ votesGranted' = [votesGranted EXCEPT ![i] = {}]
    /\ votesRejected' = [votesRejected EXCEPT ![i] = {}]
    /\ nextIndex' = [nextIndex EXCEPT ![i] = [j \in Server |-> next]]
    /\ matchIndex' = [matchIndex EXCEPT ![i] = [j \in Server |-> 0]]
    /\ recentActive' = [recentActive EXCEPT ![i] = {}]
    /\ leadTransferee' = [leadTransferee EXCEPT ![i] = Nil]
    /\ readSeq' = [readSeq EXCEPT ![i] = 0]
    /\ roundStart' = [roundStart EXCEPT ![i] = 0]
    /\ readAcks' = [readAcks EXCEPT ![i] = {}]
    /\ pendingRead' = [pendingRead EXCEPT ![i] = NoRead]

ResetLeaderState(i) == ResetLeaderStateFrom(i, 1)

-----------------------------------------------------------------------------
(* Initial state *)

Init ==
    /\ currentTerm = [i \in Server |-> 0]
    /\ state = [i \in Server |-> Follower]
    /\ votedFor = [i \in Server |-> Nil]
    /\ leader = [i \in Server |-> Nil]
    /\ log = [i \in Server |-> << >>]
    /\ commitIndex = [i \in Server |-> 0]
    /\ snapshotIndex = [i \in Server |-> 0]
    /\ snapshotTerm = [i \in Server |-> 0]
    /\ votesGranted = [i \in Server |-> {}]
    /\ votesRejected = [i \in Server |-> {}]
    /\ nextIndex = [i \in Server |-> [j \in Server |-> 1]]
    /\ matchIndex = [i \in Server |-> [j \in Server |-> 0]]
    /\ leaderRecent = [i \in Server |-> FALSE]
    /\ recentActive = [i \in Server |-> {}]
    /\ leadTransferee = [i \in Server |-> Nil]
    /\ now = 0
    /\ heardAt = [i \in Server |-> 0]
    /\ readSeq = [i \in Server |-> 0]
    /\ roundStart = [i \in Server |-> 0]
    /\ readAcks = [i \in Server |-> {}]
    /\ pendingRead = [i \in Server |-> NoRead]
    /\ followerRead = [i \in Server |-> NoFollowerRead]
    /\ lastRead = [served |-> << >>, required |-> << >>]
    /\ messages = EmptyBag

-----------------------------------------------------------------------------
(* Crash and restart *)

\* Volatile state is lost. currentTerm, votedFor, commitIndex, log and the
\* snapshot are durable (the commit index is part of the hard state the
\* implementation persists): forgetting votedFor would let a server vote
\* twice in a term.
\* A restarted server starts its election timer as if it had just heard
\* from a leader: it may have acknowledged a leader's lease just before
\* the crash, and must not vote for a rival inside that lease.
Restart(i) ==
    /\ state' = [state EXCEPT ![i] = Follower]
    /\ leader' = [leader EXCEPT ![i] = Nil]
    /\ ResetLeaderState(i)
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = CheckQuorumEnabled]
    /\ heardAt' = [heardAt EXCEPT ![i] = now]
    /\ followerRead' = EndFollowerRead(i)
    /\ UNCHANGED <<currentTerm, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, now, lastRead, messages>>

-----------------------------------------------------------------------------
(* Elections *)

\* mtransfer marks the campaign of a leadership transfer, which voters grant
\* even in their leader lease: the old leader asked for it.
VoteRequest(i, type, term, transfer) ==
    {[mtype |-> type, mterm |-> term, mlastLogTerm |-> LastTerm(i),
      mlastLogIndex |-> LastIndex(i), mtransfer |-> transfer,
      msource |-> i, mdest |-> j] :
        j \in AllVoters(Configuration(i)) \ {i}}

\* Start a real campaign: a new term, a vote for oneself. The caller sends
\* the vote requests (CampaignRequests).
Campaign(i) ==
    /\ currentTerm' = [currentTerm EXCEPT ![i] = currentTerm[i] + 1]
    /\ state' = [state EXCEPT ![i] = Candidate]
    /\ votedFor' = [votedFor EXCEPT ![i] = i]
    /\ leader' = [leader EXCEPT ![i] = Nil]
    /\ votesGranted' = [votesGranted EXCEPT ![i] = {i}]
    /\ votesRejected' = [votesRejected EXCEPT ![i] = {}]
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
    /\ UNCHANGED <<log, commitIndex, snapshotIndex, snapshotTerm, nextIndex,
                   matchIndex, recentActive, leadTransferee>>

CampaignRequests(i, transfer) ==
    VoteRequest(i, RequestVoteRequest, currentTerm[i] + 1, transfer)

\* The election timer of a non-leader fires. With PreVote the server asks
\* first whether it could win in term currentTerm+1 without changing its
\* term, so a server that cannot win does not disrupt the cluster.
Timeout(i) ==
    /\ state[i] /= Leader
    /\ TimerElapsed(i)
    /\ IsVoter(i)
    /\ IF PreVoteEnabled
         THEN /\ state' = [state EXCEPT ![i] = PreCandidate]
              /\ leader' = [leader EXCEPT ![i] = Nil]
              /\ votesGranted' = [votesGranted EXCEPT ![i] = {i}]
              /\ votesRejected' = [votesRejected EXCEPT ![i] = {}]
              /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
              /\ SendAll(VoteRequest(i, PreVoteRequest, currentTerm[i] + 1, FALSE))
              /\ UNCHANGED <<currentTerm, votedFor, log, commitIndex,
                             snapshotIndex, snapshotTerm, nextIndex,
                             matchIndex, recentActive, leadTransferee>>
         ELSE Campaign(i) /\ SendAll(CampaignRequests(i, FALSE))
    /\ UNCHANGED readVars

\* A pre-candidate that a quorum would vote for starts the real election.
BecomeCandidate(i) ==
    /\ PreVoteEnabled
    /\ state[i] = PreCandidate
    /\ IsQuorum(i, votesGranted[i])
    /\ Campaign(i)
    /\ SendAll(CampaignRequests(i, FALSE))
    /\ UNCHANGED readVars

\* A candidate with a quorum of votes leads. It appends a no-op entry of its
\* term, so that it can commit (and so learn) everything committed before.
BecomeLeader(i) ==
    /\ state[i] = Candidate
    /\ IsQuorum(i, votesGranted[i])
    /\ state' = [state EXCEPT ![i] = Leader]
    /\ leader' = [leader EXCEPT ![i] = i]
    /\ log' = [log EXCEPT ![i] = Append(log[i], [term |-> currentTerm[i],
                                                   value |-> Nil, conf |-> NoConf])]
    /\ ResetLeaderStateFrom(i, LastIndex(i) + 1)
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = CheckQuorumEnabled]
    /\ heardAt' = [heardAt EXCEPT ![i] = now]
    /\ UNCHANGED <<currentTerm, votedFor, commitIndex, snapshotIndex,
                   snapshotTerm, now, followerRead, lastRead, messages>>

\* With CheckQuorum, a leader that has not heard from a quorum within an
\* election timeout steps down; otherwise a new interval starts. Stepping
\* down is what lets followers' stickiness expire safely.
CheckQuorum(i) ==
    /\ CheckQuorumEnabled
    /\ state[i] = Leader
    /\ IF IsQuorum(i, recentActive[i] \cup {i})
         THEN /\ recentActive' = [recentActive EXCEPT ![i] = {}]
              /\ UNCHANGED <<state, leaderRecent, votesGranted, votesRejected, leader, nextIndex,
                             matchIndex, leadTransferee, roundVars>>
         ELSE /\ state' = [state EXCEPT ![i] = Follower]
              /\ leader' = [leader EXCEPT ![i] = Nil]
              /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
              /\ ResetLeaderState(i)
    /\ UNCHANGED <<currentTerm, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, now, heardAt, followerRead, lastRead, messages>>

\* An election timeout passes without news from the leader: i forgets it
\* heard from a live leader, and will grant (pre-)votes again.
ElectionTimerElapsed(i) ==
    /\ state[i] /= Leader
    /\ leaderRecent[i]
    /\ TimerElapsed(i)
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, recentActive, leadTransferee, messages>>
    /\ UNCHANGED readVars

\* Leadership transfer: the leader starts handing leadership to j. Until the
\* transfer ends it takes no new entries, so that j can catch up.
TransferLeadership(i, j) ==
    /\ TransferEnabled
    /\ state[i] = Leader
    /\ i /= j
    /\ leadTransferee[i] = Nil
    /\ j \in AllVoters(Configuration(i))
    /\ leadTransferee' = [leadTransferee EXCEPT ![i] = j]
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, messages>>
    /\ UNCHANGED readVars

\* Once the transferee holds the leader's whole log, the leader tells it to
\* campaign at once. It may say so again, as acknowledgements keep coming.
SendTimeoutNow(i) ==
    /\ state[i] = Leader
    /\ leadTransferee[i] /= Nil
    /\ matchIndex[i][leadTransferee[i]] = LastIndex(i)
    /\ Send([mtype |-> TimeoutNowRequest, mterm |-> currentTerm[i],
             msource |-> i, mdest |-> leadTransferee[i]])
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* A transfer that did not finish within an election timeout is abandoned,
\* and the leader takes entries again.
AbortTransfer(i) ==
    /\ state[i] = Leader
    /\ leadTransferee[i] /= Nil
    /\ leadTransferee' = [leadTransferee EXCEPT ![i] = Nil]
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, messages>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* Client requests, replication and commit *)

\* A leader handing leadership over takes no new entries, so that the
\* transferee stays caught up.
ClientRequest(i, v) ==
    /\ state[i] = Leader
    /\ leadTransferee[i] = Nil
    /\ log' = [log EXCEPT ![i] = Append(log[i], [term |-> currentTerm[i],
                                                   value |-> v, conf |-> NoConf])]
    /\ UNCHANGED <<currentTerm, state, votedFor, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, messages>>
    /\ UNCHANGED readVars

\* The servers that hold the leader's entry at idx (as far as it knows).
Agree(i, idx) == {i} \cup {k \in Server : matchIndex[i][k] >= idx}

\* A leader commits by counting replicas only entries of its own term
\* (Figure 8 of the Raft paper): an older entry on a quorum can still be
\* overwritten by a server whose last entry has a later term.
AdvanceCommitIndex(i) ==
    /\ state[i] = Leader
    /\ LET committable == {idx \in commitIndex[i] + 1 .. LastIndex(i) :
                              /\ IsQuorum(i, Agree(i, idx))
                              /\ log[i][idx].term = currentTerm[i]}
       IN /\ committable /= {}
          /\ commitIndex' = [commitIndex EXCEPT ![i] = MaxOf(committable)]
          \* A leader outside its committed configuration steps down: it
          \* would go on committing with a quorum it is not part of, and
          \* keep the voters from electing one of their own.
          /\ IF MembershipEnabled /\ ConfIndex(i) <= MaxOf(committable) /\ ~IsVoter(i)
               THEN /\ state' = [state EXCEPT ![i] = Follower]
                    /\ leader' = [leader EXCEPT ![i] = Nil]
                    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
                    /\ ResetLeaderState(i)
               ELSE UNCHANGED <<state, leader, leaderRecent, votesGranted, votesRejected,
                                nextIndex, matchIndex, recentActive, leadTransferee, roundVars>>
    /\ UNCHANGED <<currentTerm, votedFor, log, snapshotIndex, snapshotTerm, messages,
                   now, heardAt, followerRead, lastRead>>

\* Send j its entries from nextIndex[i][j] on, in one message, as the
\* implementation batches them; with none to send, the message probes
\* where the logs match and carries the commit index.
AppendEntries(i, j) ==
    /\ i /= j
    /\ state[i] = Leader
    /\ j \in Members(Configuration(i))
    /\ nextIndex[i][j] > snapshotIndex[i]
    /\ nextIndex[i][j] <= LastIndex(i) + 1
    /\ LET prev == nextIndex[i][j] - 1
       IN Send([mtype |-> AppendEntriesRequest, mterm |-> currentTerm[i],
                mprevLogIndex |-> prev, mprevLogTerm |-> TermAt(i, prev),
                mentries |-> SubSeq(log[i], nextIndex[i][j], LastIndex(i)),
                mcommitIndex |-> commitIndex[i], msource |-> i, mdest |-> j])
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* A heartbeat carries min(commitIndex, matchIndex[j]): j may commit only
\* what the leader knows matches on j. It also carries the leader's read
\* round, which j echoes back. A leader contacts only the members of its
\* configuration.
Heartbeat(i, j) ==
    /\ i /= j
    /\ state[i] = Leader
    /\ j \in Members(Configuration(i))
    /\ Send([mtype |-> HeartbeatRequest, mterm |-> currentTerm[i],
             mcommitIndex |-> Min(commitIndex[i], matchIndex[i][j]),
             mseq |-> readSeq[i], msource |-> i, mdest |-> j])
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* j needs entries the leader has compacted: send the snapshot. Its
\* mentries is the compacted prefix, i.e. the state-machine image.
SendSnapshot(i, j) ==
    /\ i /= j
    /\ state[i] = Leader
    /\ j \in Members(Configuration(i))
    /\ nextIndex[i][j] <= snapshotIndex[i]
    /\ Send([mtype |-> InstallSnapshotRequest, mterm |-> currentTerm[i],
             msnapshotIndex |-> snapshotIndex[i],
             msnapshotTerm |-> snapshotTerm[i],
             mentries |-> SubSeq(log[i], 1, snapshotIndex[i]),
             msource |-> i, mdest |-> j])
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* Discard the log up to a committed index (the state machine has it).
CompactLog(i, idx) ==
    /\ SnapshotEnabled
    /\ idx > snapshotIndex[i]
    /\ idx <= commitIndex[i]
    /\ snapshotIndex' = [snapshotIndex EXCEPT ![i] = idx]
    /\ snapshotTerm' = [snapshotTerm EXCEPT ![i] = log[i][idx].term]
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   votesGranted, votesRejected, leader, nextIndex, matchIndex, leaderRecent,
                   recentActive, leadTransferee, messages>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* Receiving messages *)

\* Any message with a higher term makes the receiver a follower of that
\* term first, except: a pre-vote request never changes a term (the
\* sender has not changed its own), a granted pre-vote carries the term
\* the pre-candidate would campaign in, and a vote request that reaches a
\* server in its leader lease is rejected without a term change.
\* Only a leader sends messages of these types: their sender is the leader
\* of their term.
FromLeader(type) == type \in {AppendEntriesRequest, HeartbeatRequest, InstallSnapshotRequest}

UpdateTerm(i, j, m) ==
    /\ m.mterm > currentTerm[i]
    /\ m.mtype /= PreVoteRequest
    /\ ~(m.mtype = PreVoteResponse /\ m.mgranted)
    /\ ~(m.mtype = RequestVoteRequest /\ InLease(i) /\ ~m.mtransfer)
    /\ currentTerm' = [currentTerm EXCEPT ![i] = m.mterm]
    /\ state' = [state EXCEPT ![i] = Follower]
    /\ votedFor' = [votedFor EXCEPT ![i] = Nil]
    /\ leader' = [leader EXCEPT ![i] = IF FromLeader(m.mtype) THEN j ELSE Nil]
    /\ ResetLeaderState(i)
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = FALSE]
    /\ UNCHANGED <<log, commitIndex, snapshotIndex, snapshotTerm, now,
                   heardAt, followerRead, lastRead, messages>>

\* A pre-vote is granted for a later term to an up-to-date log, unless i is
\* in its leader lease. A rejection carries i's term so that a lagging
\* pre-candidate learns it.
\* Only a later term: a pre-vote records nothing, and only in a term after
\* its own is i's vote sure to be free. A pre-candidate at or below i's term
\* has missed that term's election; a grant would let it depose a leader.
HandlePreVoteRequest(i, j, m) ==
    /\ m.mtype = PreVoteRequest
    /\ LET grant == /\ m.mterm > currentTerm[i]
                    /\ LogUpToDate(i, m)
                    /\ ~InLease(i)
       IN Reply([mtype |-> PreVoteResponse,
                 mterm |-> IF grant THEN m.mterm ELSE currentTerm[i],
                 mgranted |-> grant, msource |-> i, mdest |-> j], m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* Only the first answer of j to i's campaign counts: a stale answer of an
\* earlier campaign in the same term, delayed or duplicated, must not
\* change it.
Answered(i, j) == j \in votesGranted[i] \cup votesRejected[i]

\* A rejection in the campaign's term counts towards losing: a (pre-)
\* candidate that the servers yet to reject can no longer make a quorum
\* goes back to follower in its term, and its timer runs again.
Lost(i, j) == ~IsQuorum(i, Server \ (votesRejected[i] \cup {j}))

CountRejection(i, j, rejected) ==
    /\ state' = IF rejected /\ Lost(i, j) THEN [state EXCEPT ![i] = Follower] ELSE state
    /\ leader' = IF rejected /\ Lost(i, j) THEN [leader EXCEPT ![i] = Nil] ELSE leader
    /\ votesRejected' =
         IF ~rejected THEN votesRejected
         ELSE IF Lost(i, j) THEN [votesRejected EXCEPT ![i] = {}]
         ELSE [votesRejected EXCEPT ![i] = votesRejected[i] \cup {j}]

\* Stale responses (a finished campaign, an older term) are dropped here.
HandlePreVoteResponse(i, j, m) ==
    /\ m.mtype = PreVoteResponse
    /\ m.mgranted \/ m.mterm <= currentTerm[i]
    /\ LET rejected == state[i] = PreCandidate /\ ~Answered(i, j) /\ ~m.mgranted /\ m.mterm = currentTerm[i]
       IN /\ votesGranted' =
               IF state[i] = PreCandidate /\ ~Answered(i, j) /\ m.mgranted /\ m.mterm = currentTerm[i] + 1
                 THEN [votesGranted EXCEPT ![i] = votesGranted[i] \cup {j}]
                 ELSE IF rejected /\ Lost(i, j)
                   THEN [votesGranted EXCEPT ![i] = {}]
                   ELSE votesGranted
          /\ CountRejection(i, j, rejected)
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

\* At most one vote per term (votedFor is durable), and only for an
\* up-to-date log; none to a new candidate in a term whose leader i knows.
\* Within its lease a server votes for no one new, whatever the term,
\* except in a transfer: the lease of the leader it heard from counts on
\* that promise.
HandleRequestVoteRequest(i, j, m) ==
    /\ m.mtype = RequestVoteRequest
    /\ m.mterm <= currentTerm[i] \/ (InLease(i) /\ ~m.mtransfer)
    /\ LET grant == /\ m.mterm = currentTerm[i]
                    /\ LogUpToDate(i, m)
                    /\ \/ votedFor[i] = j
                       \/ /\ votedFor[i] = Nil /\ leader[i] = Nil
                          /\ ~InLease(i) \/ m.mtransfer
       IN /\ votedFor' = IF grant THEN [votedFor EXCEPT ![i] = j] ELSE votedFor
          /\ Reply([mtype |-> RequestVoteResponse, mterm |-> currentTerm[i],
                    mgranted |-> grant, msource |-> i, mdest |-> j], m)
    /\ UNCHANGED <<currentTerm, state, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

HandleRequestVoteResponse(i, j, m) ==
    /\ m.mtype = RequestVoteResponse
    /\ m.mterm <= currentTerm[i]
    /\ LET rejected == state[i] = Candidate /\ ~Answered(i, j) /\ ~m.mgranted /\ m.mterm = currentTerm[i]
       IN /\ votesGranted' =
               IF state[i] = Candidate /\ ~Answered(i, j) /\ m.mgranted /\ m.mterm = currentTerm[i]
                 THEN [votesGranted EXCEPT ![i] = votesGranted[i] \cup {j}]
                 ELSE IF rejected /\ Lost(i, j)
                   THEN [votesGranted EXCEPT ![i] = {}]
                   ELSE votesGranted
          /\ CountRejection(i, j, rejected)
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

AppendEntriesReply(i, j, success, idx) ==
    [mtype |-> AppendEntriesResponse, mterm |-> currentTerm[i],
     msuccess |-> success, mmatchIndex |-> idx, msource |-> i, mdest |-> j]

\* i hears from the leader of its term: it follows it (a campaign of its
\* own is over) and resets its election timer.
Follow(i, j) ==
    /\ state' = [state EXCEPT ![i] = Follower]
    /\ leader' = [leader EXCEPT ![i] = j]
    /\ votesGranted' = [votesGranted EXCEPT ![i] = {}]
    /\ votesRejected' = [votesRejected EXCEPT ![i] = {}]
    /\ leaderRecent' = [leaderRecent EXCEPT ![i] = CheckQuorumEnabled]
    /\ heardAt' = [heardAt EXCEPT ![i] = now]

\* The follower's commit index never passes the last entry that it knows
\* matches the leader (prev + the entries of this message): the rest of
\* its log may be a stale suffix that the leader will overwrite.
AcceptAppendEntries(i, j, m) ==
    LET prev == m.mprevLogIndex
        lastNew == prev + Len(m.mentries)
        logOk == prev <= LastIndex(i) /\ TermAt(i, prev) = m.mprevLogTerm
        present == \/ Len(m.mentries) = 0
                   \/ /\ lastNew <= LastIndex(i)
                      /\ log[i][lastNew].term = m.mentries[Len(m.mentries)].term
    IN
    /\ Follow(i, j)
    /\ IF prev < commitIndex[i]
         THEN \* Below the commit index the logs match; the entries there
              \* may be compacted, so answer with what is committed.
              /\ Reply(AppendEntriesReply(i, j, TRUE, commitIndex[i]), m)
              /\ UNCHANGED <<log, commitIndex>>
       ELSE IF logOk
         THEN /\ log' = [log EXCEPT ![i] = IF present THEN log[i]
                                ELSE SubSeq(log[i], 1, prev) \o m.mentries]
              /\ commitIndex' = [commitIndex EXCEPT ![i] =
                                   Max(commitIndex[i], Min(m.mcommitIndex, lastNew))]
              /\ Reply(AppendEntriesReply(i, j, TRUE, lastNew), m)
         ELSE /\ Reply(AppendEntriesReply(i, j, FALSE,
                                          Min(prev - 1, LastIndex(i))), m)
              /\ UNCHANGED <<log, commitIndex>>

HandleAppendEntriesRequest(i, j, m) ==
    /\ m.mtype = AppendEntriesRequest
    /\ m.mterm <= currentTerm[i]
    /\ IF m.mterm < currentTerm[i]
         THEN /\ Reply(AppendEntriesReply(i, j, FALSE, 0), m)
              /\ UNCHANGED <<state, log, commitIndex, votesGranted, votesRejected, leader,
                             leaderRecent, heardAt>>
         ELSE AcceptAppendEntries(i, j, m)
    /\ UNCHANGED <<currentTerm, votedFor, snapshotIndex, snapshotTerm,
                   nextIndex, matchIndex, recentActive, leadTransferee, now,
                   roundVars, followerRead, lastRead>>

HandleAppendEntriesResponse(i, j, m) ==
    /\ m.mtype = AppendEntriesResponse
    /\ m.mterm <= currentTerm[i]
    /\ IF m.mterm = currentTerm[i] /\ state[i] = Leader
         THEN /\ recentActive' = [recentActive EXCEPT ![i] = @ \cup {j}]
              /\ IF m.msuccess
                   THEN /\ nextIndex' = [nextIndex EXCEPT ![i][j] =
                                           Max(@, m.mmatchIndex + 1)]
                        /\ matchIndex' = [matchIndex EXCEPT ![i][j] =
                                            Max(@, m.mmatchIndex)]
                   ELSE /\ nextIndex' = [nextIndex EXCEPT ![i][j] =
                                           Max(Min(@ - 1, m.mmatchIndex + 1),
                                               matchIndex[i][j] + 1)]
                        /\ UNCHANGED matchIndex
         ELSE UNCHANGED <<nextIndex, matchIndex, recentActive>>
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, leaderRecent,
                   leadTransferee>>
    /\ UNCHANGED readVars

HandleHeartbeatRequest(i, j, m) ==
    /\ m.mtype = HeartbeatRequest
    /\ m.mterm <= currentTerm[i]
    /\ IF m.mterm < currentTerm[i]
         THEN UNCHANGED <<state, commitIndex, votesGranted, votesRejected, leader, leaderRecent, heardAt>>
         ELSE /\ Follow(i, j)
              /\ commitIndex' = [commitIndex EXCEPT ![i] =
                                   Max(commitIndex[i], Min(m.mcommitIndex, LastIndex(i)))]
    /\ Reply([mtype |-> HeartbeatResponse, mterm |-> currentTerm[i],
              mseq |-> m.mseq, msource |-> i, mdest |-> j], m)
    /\ UNCHANGED <<currentTerm, votedFor, log, snapshotIndex, snapshotTerm,
                   nextIndex, matchIndex, recentActive, leadTransferee, now,
                   roundVars, followerRead, lastRead>>

HandleHeartbeatResponse(i, j, m) ==
    /\ m.mtype = HeartbeatResponse
    /\ m.mterm <= currentTerm[i]
    /\ recentActive' =
         IF m.mterm = currentTerm[i] /\ state[i] = Leader
           THEN [recentActive EXCEPT ![i] = @ \cup {j}]
           ELSE recentActive
    \* Only an acknowledgement of the current round confirms it: one of an
    \* earlier heartbeat may have been sent before the read began.
    /\ readAcks' =
         IF /\ m.mterm = currentTerm[i] /\ state[i] = Leader
            /\ readSeq[i] > 0 /\ m.mseq = readSeq[i]
           THEN [readAcks EXCEPT ![i] = @ \cup {j}]
           ELSE readAcks
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, leadTransferee, now,
                   heardAt, readSeq, roundStart, pendingRead, followerRead,
                   lastRead>>

\* A snapshot at or below the commit index is stale. One that matches the
\* log only advances the commit index; otherwise it replaces the log.
\* It is answered by an AppendEntriesResponse.
AcceptSnapshot(i, j, m) ==
    LET idx == m.msnapshotIndex
        matches == idx <= LastIndex(i) /\ TermAt(i, idx) = m.msnapshotTerm
    IN
    /\ Follow(i, j)
    /\ IF idx <= commitIndex[i]
         THEN /\ Reply(AppendEntriesReply(i, j, TRUE, commitIndex[i]), m)
              /\ UNCHANGED <<log, commitIndex, snapshotIndex, snapshotTerm>>
       ELSE IF matches
         THEN /\ commitIndex' = [commitIndex EXCEPT ![i] = idx]
              /\ Reply(AppendEntriesReply(i, j, TRUE, idx), m)
              /\ UNCHANGED <<log, snapshotIndex, snapshotTerm>>
         ELSE /\ log' = [log EXCEPT ![i] = m.mentries]
              /\ snapshotIndex' = [snapshotIndex EXCEPT ![i] = idx]
              /\ snapshotTerm' = [snapshotTerm EXCEPT ![i] = m.msnapshotTerm]
              /\ commitIndex' = [commitIndex EXCEPT ![i] = idx]
              /\ Reply(AppendEntriesReply(i, j, TRUE, idx), m)

HandleInstallSnapshotRequest(i, j, m) ==
    /\ m.mtype = InstallSnapshotRequest
    /\ m.mterm <= currentTerm[i]
    /\ IF m.mterm < currentTerm[i]
         THEN /\ Reply(AppendEntriesReply(i, j, FALSE, 0), m)
              /\ UNCHANGED <<state, log, commitIndex, snapshotIndex,
                             snapshotTerm, votesGranted, votesRejected, leader, leaderRecent, heardAt>>
         ELSE AcceptSnapshot(i, j, m)
    /\ UNCHANGED <<currentTerm, votedFor, nextIndex, matchIndex, recentActive,
                   leadTransferee, now, roundVars, followerRead, lastRead>>

\* The transferee campaigns at once, skipping PreVote (the leader asked for
\* it), in a new term as every campaign must: a vote in the current term
\* may already be spent. A stale request is dropped, and so is one that
\* finds i campaigning already or no longer a voter, as the implementation
\* does.
HandleTimeoutNowRequest(i, j, m) ==
    /\ m.mtype = TimeoutNowRequest
    /\ m.mterm <= currentTerm[i]
    /\ IF m.mterm = currentTerm[i] /\ state[i] = Follower /\ IsVoter(i)
         THEN /\ Campaign(i)
              /\ messages' = (messages (-) SetToBag({m}))
                                (+) SetToBag(CampaignRequests(i, TRUE))
         ELSE /\ Discard(m)
              /\ UNCHANGED <<currentTerm, state, votedFor, votesGranted, votesRejected, leader,
                             leaderRecent>>
    /\ UNCHANGED <<log, commitIndex, snapshotIndex, snapshotTerm, nextIndex,
                   matchIndex, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* Reads and time *)

\* The variables of Raft proper, which reads leave alone.
raftVars == <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
              snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex, leaderRecent,
              recentActive, leadTransferee, messages>>

\* Real time passes. Servers' clocks are not variables: a server measures
\* an interval with an error of at most MaxClockDrift, which the timer and
\* lease guards below fold in.
Tick ==
    /\ ReadsEnabled
    /\ now' = now + 1
    /\ UNCHANGED <<raftVars, heardAt, roundVars, followerRead, lastRead>>

\* A leader serves reads only once an entry of its own term is committed:
\* before that its commit index may lag entries earlier leaders committed.
CommittedInTerm(i) ==
    commitIndex[i] > 0 /\ TermAt(i, commitIndex[i]) = currentTerm[i]

\* Every entry committed so far (the longest committed prefix anywhere): a
\* read that begins now must return a state that includes all of it. Under
\* SYMMETRY, CHOOSE may pick different servers in symmetric states; by
\* StateMachineSafety all servers with the largest commit index hold the
\* same prefix, so the value does not depend on the choice.
CommittedLog ==
    LET k == CHOOSE k \in Server : \A x \in Server : commitIndex[k] >= commitIndex[x]
    IN SubSeq(log[k], 1, commitIndex[k])

\* Leader i starts a quorum round for read. The round has a new sequence
\* number so that an acknowledgement of an earlier heartbeat does not
\* confirm this later read.
StartRound(i, read) ==
    /\ readSeq' = [readSeq EXCEPT ![i] = @ + 1]
    /\ roundStart' = [roundStart EXCEPT ![i] = now]
    /\ readAcks' = [readAcks EXCEPT ![i] = {i}]
    /\ pendingRead' = [pendingRead EXCEPT ![i] = read]

\* ReadIndex: the read index is the commit index; the leader confirms it
\* still leads with a quorum round of its own sequence number (never the
\* client's context), carried by heartbeats.
ReadIndex(i) ==
    /\ ReadsEnabled
    /\ state[i] = Leader
    /\ CommittedInTerm(i)
    /\ pendingRead[i] = NoRead
    /\ StartRound(i, [index |-> commitIndex[i], required |-> CommittedLog, from |-> Nil, seq |-> 0])
    /\ UNCHANGED <<raftVars, now, heardAt, followerRead, lastRead>>

\* The round is confirmed: serve the leader's own read (its read index is
\* applied), or answer the follower that forwarded it.
ServeReadIndex(i) ==
    /\ state[i] = Leader
    /\ pendingRead[i] /= NoRead
    /\ IsQuorum(i, readAcks[i])
    /\ commitIndex[i] >= pendingRead[i].index
    /\ IF pendingRead[i].from = Nil
         THEN /\ lastRead' = [served |-> SubSeq(log[i], 1, pendingRead[i].index),
                              required |-> pendingRead[i].required]
              /\ UNCHANGED messages
         ELSE /\ Send([mtype |-> ReadIndexResponse, mterm |-> currentTerm[i],
                       msuccess |-> TRUE, mindex |-> pendingRead[i].index,
                       mseq |-> pendingRead[i].seq,
                       msource |-> i, mdest |-> pendingRead[i].from])
              /\ UNCHANGED lastRead
    /\ pendingRead' = [pendingRead EXCEPT ![i] = NoRead]
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, now, heardAt,
                   readSeq, roundStart, readAcks, followerRead>>

\* A follower forwards a read to the server it takes for the leader; what
\* it must include is fixed now, when the read begins.
\* The read has a number the server never used before, which the request
\* carries and the answer echoes: a late answer to an earlier read
\* (duplicated, or sent before the follower restarted) carries that read's
\* index, which may miss entries committed since, and would complete this
\* read stale. The number is followerRead[i].seq + 1, and seq survives the
\* read's end and Restart: the implementation starts each incarnation's
\* numbers at a random value, which the spec models as numbers that never
\* repeat. readSeq is not reused for it: a server resets readSeq whenever
\* it becomes leader or steps down (its rounds are per term), so its
\* numbers repeat. MaxReads bounds seq as it bounds readSeq.
ForwardReadIndex(i, j) ==
    /\ ReadsEnabled
    /\ state[i] = Follower
    /\ i /= j
    /\ followerRead[i].phase = "None"
    /\ followerRead' = [followerRead EXCEPT ![i] =
                           [index |-> 0, required |-> CommittedLog, phase |-> "Waiting",
                            seq |-> followerRead[i].seq + 1]]
    /\ Send([mtype |-> ReadIndexRequest, mterm |-> currentTerm[i],
             mseq |-> followerRead[i].seq + 1, msource |-> i, mdest |-> j])
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, now, heardAt,
                   roundVars, lastRead>>

\* The follower serves its read once it has applied the leader's read index
\* (not merely once it has the entries: they must be committed).
ServeFollowerRead(i) ==
    /\ followerRead[i].phase = "Ready"
    /\ commitIndex[i] >= followerRead[i].index
    /\ lastRead' = [served |-> SubSeq(log[i], 1, followerRead[i].index),
                    required |-> followerRead[i].required]
    /\ followerRead' = EndFollowerRead(i)
    /\ UNCHANGED <<raftVars, now, heardAt, roundVars>>

\* The lease runs from the start of the last round a quorum acknowledged,
\* for ElectionTimeout - LeaseDriftBound on the leader's clock, which may
\* run slow by MaxClockDrift. The followers that acknowledged will not vote
\* before ElectionTimeout - MaxClockDrift after that start, so the lease is
\* safe iff LeaseDriftBound >= 2 * MaxClockDrift.
LeaseValid(i) ==
    /\ readSeq[i] > 0
    /\ IsQuorum(i, readAcks[i])
    /\ now + LeaseDriftBound < roundStart[i] + ElectionTimeout + MaxClockDrift

\* A lease read needs CheckQuorum (stickiness is what keeps rivals from
\* being elected inside the lease) and no transfer under way (a transfer
\* deposes the leader on purpose).
LeaseRead(i) ==
    /\ ReadsEnabled
    /\ CheckQuorumEnabled
    /\ state[i] = Leader
    /\ leadTransferee[i] = Nil
    /\ CommittedInTerm(i)
    /\ LeaseValid(i)
    /\ lastRead' = [served |-> SubSeq(log[i], 1, commitIndex[i]),
                    required |-> CommittedLog]
    /\ UNCHANGED <<raftVars, now, heardAt, roundVars, followerRead>>

\* A leader of the request's term with an entry of its term committed and
\* no read pending starts a round for the follower; any other server
\* rejects, and the follower gives the read up.
HandleReadIndexRequest(i, j, m) ==
    /\ m.mtype = ReadIndexRequest
    /\ m.mterm <= currentTerm[i]
    /\ IF /\ state[i] = Leader /\ m.mterm = currentTerm[i]
          /\ CommittedInTerm(i) /\ pendingRead[i] = NoRead
         THEN /\ StartRound(i, [index |-> commitIndex[i], required |-> << >>, from |-> j,
                                 seq |-> m.mseq])
              /\ Discard(m)
         ELSE /\ Reply([mtype |-> ReadIndexResponse, mterm |-> currentTerm[i],
                        msuccess |-> FALSE, mindex |-> 0, mseq |-> m.mseq,
                        msource |-> i, mdest |-> j], m)
              /\ UNCHANGED roundVars
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, now, heardAt,
                   followerRead, lastRead>>

\* An answer to the waiting read, by its number, completes or ends it; any
\* other answer is discarded (see ForwardReadIndex).
HandleReadIndexResponse(i, j, m) ==
    /\ m.mtype = ReadIndexResponse
    /\ m.mterm <= currentTerm[i]
    /\ followerRead' =
         IF followerRead[i].phase /= "Waiting" \/ m.mseq /= followerRead[i].seq THEN followerRead
         ELSE IF m.msuccess
           THEN [followerRead EXCEPT ![i] = [@ EXCEPT !.index = m.mindex,
                                                      !.phase = "Ready"]]
           ELSE EndFollowerRead(i)
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, now, heardAt,
                   roundVars, lastRead>>

-----------------------------------------------------------------------------
(* Membership changes *)

\* The leader may append a configuration entry. One change at a time: a
\* leader whose configuration entry is not committed could otherwise
\* append a second one whose quorums do not intersect those of the first's
\* predecessor. A new leader first commits an entry of its term, which
\* commits (or overwrites) whatever configuration entry an earlier leader
\* left uncommitted. No change while a leadership transfer is under way,
\* which could hand leadership to a server the change removes.
ConfChangeAllowed(i) ==
    /\ MembershipEnabled
    /\ state[i] = Leader
    /\ leadTransferee[i] = Nil
    /\ CommittedInTerm(i)
    /\ ConfIndex(i) <= commitIndex[i]

\* The leader appends the configuration with these voters and learners,
\* whole (not as a delta). A change of the voter set goes through the
\* joint configuration (the old voters outgoing), whose quorums intersect
\* those of both the old and the new configuration; the model leaves it
\* automatically (autoLeave, LeaveJoint). A change of the learners alone is
\* direct: learners count in no quorum.
ChangeConf(i, voters, learners) ==
    LET cur == Configuration(i)
        next == IF voters = cur.voters
                  THEN [voters |-> voters, outgoing |-> {}, learners |-> learners,
                        autoLeave |-> FALSE]
                  ELSE [voters |-> voters, outgoing |-> cur.voters, learners |-> learners,
                        autoLeave |-> TRUE]
    IN
    /\ ConfChangeAllowed(i)
    /\ voters /= {}
    /\ voters \cap learners = {}
    /\ cur.outgoing = {}
    /\ ~(voters = cur.voters /\ learners = cur.learners)
    /\ log' = [log EXCEPT ![i] = Append(log[i], [term |-> currentTerm[i],
                                                   value |-> Nil, conf |-> next])]
    /\ UNCHANGED <<currentTerm, state, votedFor, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, messages>>
    /\ UNCHANGED readVars

\* Once the joint configuration's entry is committed (so a quorum of the
\* old voters knows of the new ones), the leader appends the configuration
\* of the new voters alone.
LeaveJoint(i) ==
    LET cur == Configuration(i)
    IN
    /\ MembershipEnabled
    /\ state[i] = Leader
    /\ cur.outgoing /= {}
    /\ cur.autoLeave
    /\ ConfIndex(i) <= commitIndex[i]
    /\ log' = [log EXCEPT ![i] = Append(log[i], [term |-> currentTerm[i], value |-> Nil,
                  conf |-> [voters |-> cur.voters, outgoing |-> {},
                            learners |-> cur.learners, autoLeave |-> FALSE]])]
    /\ UNCHANGED <<currentTerm, state, votedFor, commitIndex, snapshotIndex,
                   snapshotTerm, votesGranted, votesRejected, leader, nextIndex, matchIndex,
                   leaderRecent, recentActive, leadTransferee, messages>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* Network faults *)

DropMessage(m) ==
    /\ Discard(m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

DuplicateMessage(m) ==
    /\ Send(m)
    /\ UNCHANGED <<currentTerm, state, votedFor, log, commitIndex,
                   snapshotIndex, snapshotTerm, votesGranted, votesRejected, leader, nextIndex,
                   matchIndex, leaderRecent, recentActive, leadTransferee>>
    /\ UNCHANGED readVars

-----------------------------------------------------------------------------
(* The next-state relation. Messages are delivered in any order. *)

Receive(m) ==
    LET i == m.mdest
        j == m.msource
    IN \/ UpdateTerm(i, j, m)
       \/ HandlePreVoteRequest(i, j, m)
       \/ HandlePreVoteResponse(i, j, m)
       \/ HandleRequestVoteRequest(i, j, m)
       \/ HandleRequestVoteResponse(i, j, m)
       \/ HandleAppendEntriesRequest(i, j, m)
       \/ HandleAppendEntriesResponse(i, j, m)
       \/ HandleHeartbeatRequest(i, j, m)
       \/ HandleHeartbeatResponse(i, j, m)
       \/ HandleInstallSnapshotRequest(i, j, m)
       \/ HandleTimeoutNowRequest(i, j, m)
       \/ HandleReadIndexRequest(i, j, m)
       \/ HandleReadIndexResponse(i, j, m)

Next ==
    \/ \E i \in Server : Restart(i)
    \/ \E i \in Server : Timeout(i)
    \/ \E i \in Server : BecomeCandidate(i)
    \/ \E i \in Server : BecomeLeader(i)
    \/ \E i \in Server : CheckQuorum(i)
    \/ \E i \in Server : ElectionTimerElapsed(i)
    \/ \E i \in Server, v \in Value : ClientRequest(i, v)
    \/ \E i \in Server, voters, learners \in SUBSET Server : ChangeConf(i, voters, learners)
    \/ \E i \in Server : LeaveJoint(i)
    \/ \E i \in Server : AdvanceCommitIndex(i)
    \/ \E i, j \in Server : AppendEntries(i, j)
    \/ \E i, j \in Server : Heartbeat(i, j)
    \/ \E i, j \in Server : SendSnapshot(i, j)
    \/ \E i \in Server, idx \in 1..MaxLogLen : CompactLog(i, idx)
    \/ \E i, j \in Server : TransferLeadership(i, j)
    \/ \E i \in Server : SendTimeoutNow(i)
    \/ \E i \in Server : AbortTransfer(i)
    \/ Tick
    \/ \E i \in Server : ReadIndex(i)
    \/ \E i \in Server : ServeReadIndex(i)
    \/ \E i \in Server : LeaseRead(i)
    \/ \E i, j \in Server : ForwardReadIndex(i, j)
    \/ \E i \in Server : ServeFollowerRead(i)
    \/ \E m \in DOMAIN messages : Receive(m)
    \/ \E m \in DOMAIN messages : DropMessage(m)
    \/ \E m \in DOMAIN messages : DuplicateMessage(m)

Spec == Init /\ [][Next]_vars

-----------------------------------------------------------------------------
(* Bounds and symmetry for model checking *)

StateConstraint ==
    /\ \A i \in Server : currentTerm[i] <= MaxTerm
    /\ \A i \in Server : Len(log[i]) <= MaxLogLen
    /\ BagCardinality(messages) <= MaxMessages
    /\ now <= MaxTime
    /\ \A i \in Server : readSeq[i] <= MaxReads
    /\ \A i \in Server : followerRead[i].seq <= MaxReads

\* Renaming servers preserves behaviours as long as it keeps InitServer.
Symmetry == {p \in Permutations(Server) : \A s \in InitServer : p[s] \in InitServer}

-----------------------------------------------------------------------------
(* Invariants *)

\* At most one leader per term.
ElectionSafety ==
    \A i, j \in Server :
        (state[i] = Leader /\ state[j] = Leader /\ currentTerm[i] = currentTerm[j])
            => i = j

\* Two logs that agree on the term of an index agree on everything up to it.
LogMatching ==
    \A i, j \in Server :
        \A n \in 1..Min(Len(log[i]), Len(log[j])) :
            log[i][n].term = log[j][n].term
                => SubSeq(log[i], 1, n) = SubSeq(log[j], 1, n)

\* A server learns that an entry is committed only in a term at least the
\* term T in which it was committed, so currentTerm[i] >= T. A leader of a
\* term >= currentTerm[i] therefore holds every entry i knows committed.
LeaderCompleteness ==
    \A l, i \in Server :
        (state[l] = Leader /\ currentTerm[i] <= currentTerm[l])
            => \A n \in 1..commitIndex[i] :
                   n <= Len(log[l]) /\ log[l][n] = log[i][n]

\* No two servers commit different entries at the same index.
StateMachineSafety ==
    /\ \A i \in Server : commitIndex[i] <= Len(log[i])
    /\ \A i, j \in Server :
           \A n \in 1..Min(commitIndex[i], commitIndex[j]) : log[i][n] = log[j][n]

\* The servers whose log comparison would grant k a vote.
Voters(k) ==
    {v \in Server : \/ LastTerm(k) > LastTerm(v)
                    \/ /\ LastTerm(k) = LastTerm(v)
                       /\ LastIndex(k) >= LastIndex(v)}

\* k may campaign, and its log is at least as up to date as those of a
\* quorum of its configuration: it could win an election.
CouldElect(k) == IsVoter(k) /\ IsQuorum(k, Voters(k))

\* A committed entry is held by a quorum of every configuration that could
\* elect a leader, in the sense that no quorum of it lacks the entry (with
\* an odd number of voters, a majority holds it). Those are the
\* configurations of the servers that could win an election now: a server
\* removed before it learned of its removal keeps the old configuration,
\* but the voters that did learn of it hold later entries and refuse it.
CommittedIsDurable ==
    \A i \in Server :
        \A n \in 1..commitIndex[i] :
            LET holders == {k \in Server : n <= Len(log[k]) /\ log[k][n] = log[i][n]}
            IN \A k \in Server : CouldElect(k) => ~IsQuorum(k, Server \ holders)

\* A server whose log lacks a committed entry cannot collect a quorum of
\* votes. This fails as soon as a leader commits an entry that a later
\* election could still overwrite (Figure 8 of the Raft paper), before
\* any overwrite happens.
CommittedInElectableLogs ==
    \A i, k \in Server :
        \A n \in 1..commitIndex[i] :
            ~(n <= Len(log[k]) /\ log[k][n] = log[i][n]) => ~CouldElect(k)

\* A read returns a state that includes every entry committed before the
\* read began.
ReadLinearizable ==
    /\ Len(lastRead.required) <= Len(lastRead.served)
    /\ SubSeq(lastRead.served, 1, Len(lastRead.required)) = lastRead.required

\* The snapshot is a prefix of the committed log.
SnapshotIsCommitted ==
    \A i \in Server :
        /\ snapshotIndex[i] <= commitIndex[i]
        /\ snapshotIndex[i] > 0 => snapshotTerm[i] = log[i][snapshotIndex[i]].term

\* A leader is a voter of its configuration, or that configuration's entry
\* is not yet committed: the leader that removed itself leads until then,
\* without counting itself, and steps down when it commits.
LeaderIsVoter ==
    \A i \in Server : state[i] = Leader => IsVoter(i) \/ ConfIndex(i) > commitIndex[i]

=============================================================================
