// Package linearizability records what the clients of a run saw, decides with
// Porcupine whether it was linearizable, and draws it for a person to audit.
//
// A run records its History with a Recorder (or builds one as plain data),
// checks it with Check, and on failure writes the page with WriteHTMLFile
// and the history with Save, which cmd/lincheck reads back:
//
//	rec := linearizability.NewRecorder(clock)
//	id := rec.Invoke(client, model.Put("x", "1"))
//	... send, wait ...
//	rec.Return(id, model.Output{}) // or rec.Unknown(id) on a timeout
//	res, err := linearizability.Check(rec.History(), time.Second)
//	if res.Verdict != linearizability.Ok { linearizability.WriteHTMLFile("h.html", res) }
//
// A check that runs out of time is Unknown, never a pass.
//
// # Unknown outcomes
//
// An operation whose client gave up (Recorder.Unknown, Jepsen's :info) may or
// may not have taken effect. It is checked as returning at the end of the
// history (History.End), which lets Porcupine place it anywhere after its
// call, or last, where nobody sees it. A Get with an unknown outcome observed
// nothing, so it is dropped from the checked history; the page still shows
// it as an annotation. An operation never returned is treated as unknown.
//
// # The JSON history format, version 1
//
// One JSON object; unknown fields are rejected, and a file that does not
// validate is rejected whole, with an error naming the operation or the line.
//
//	{
//	  "format": "raftcheck-history",
//	  "version": 1,
//	  "operations": [
//	    {"client": 0, "input": {"op": "put", "key": "x", "value": "1"},
//	     "output": {}, "call": 100, "return": 250},
//	    {"client": 1, "input": {"op": "get", "key": "x", "mode": "lease"},
//	     "output": {"value": "1", "found": true}, "call": 300, "return": 310},
//	    {"client": 2, "input": {"op": "cas", "key": "x", "expected": "1", "value": "2"},
//	     "output": {"unknown": true}, "call": 320}
//	  ],
//	  "faults": [{"kind": "partition", "nodes": [1, 2], "start": 120, "end": 400,
//	              "description": "{1,2} | {3,4,5}"}],
//	  "leaders": [{"term": 2, "leader": 3, "start": 0, "end": 500}],
//	  "retries": [{"op": 2, "attempt": 1, "time": 330, "description": "not leader"}]
//	}
//
// Times are integers, in nanoseconds of the recorder's clock (virtual time in
// the simulator). Operations:
//
//   - client: integer in [0, model.ClientMax]; the row in the visualization.
//   - input.op: "get", "put", "append", "cas" or "delete".
//   - input.key: the key; input.value: the value of put and append, the new
//     value of cas; input.expected: the value cas compares with; input.mode:
//     the read path of a get: "log", "readindex", "lease", "follower" or
//     absent. A field an operation does not use must be absent.
//   - output.value and output.found: what a get read; a missing key is
//     found false with no value. output.ok: whether a cas succeeded.
//     output.unknown: the outcome is unknown; then nothing else is set in
//     output and "return" must be absent.
//   - call, return: invocation and response times, return >= call.
//
// Annotations (all optional): faults are windows {kind, nodes, start, end,
// description} with end >= start; leaders are {term, leader, start, end};
// retries are {op, attempt, time, description}, where op is the index of the
// operation retried in "operations", attempt counts from 1, and time is not
// before that operation's call.
//
// # Jepsen histories
//
// DecodeJepsenEDN reads history.edn and DecodeJepsenLog reads history.txt or
// jepsen.log. Supported: the register workload (:read, :write, :cas [old new]
// on one register, checked as key RegisterKey), its independent form with
// [key value] tuples (:cas [key [old new]]), and KV workloads with :read,
// :write, :cas and :append on [key value]. An :invoke is completed by the
// next :ok, :fail or :info of its process: :ok is checked, :fail did not
// happen and is dropped, :info and invocations never completed have an
// unknown outcome. A read of nil is a missing key. Appends build lists: an
// element is stored as its text and a space, and a read of [1 2] is "1 2 ",
// so that the lists [1 23] and [12 3] differ. Values and keys are the text of
// their EDN value. Completions of the :nemesis process become faults: a
// :start-x opens a window of kind x, the next :stop-x closes it. Times are
// :time when every operation has one, else the position in the file.
package linearizability
