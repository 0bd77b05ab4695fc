package linearizability

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/raftcheck/raftcheck/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHTMLShowsHistoryAndAnnotations(t *testing.T) {
	h := staleReadHistory()
	h.Ops = append(h.Ops, unknownOp(3, model.Get("x", model.ReadFollower), 55))
	res := check(t, h)
	require.Equal(t, Illegal, res.Verdict)

	path := filepath.Join(t.TempDir(), "history.html")
	require.NoError(t, WriteHTMLFile(path, res))
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	page := string(data)

	for _, want := range []string{
		"<html",
		`get(x) [lease] -\u003e \"1\"`,          // the stale read, with its read mode
		"clock-drift n2",                        // the fault window
		"n2 clock runs 30% fast",                // its description, in the tooltip
		"fault: clock-drift",                    // its row
		"term 3: n2",                            // the leader of the term
		"retry #1 of op 2",                      // the client's retry
		"not leader",                            // why it retried
		"verdict: illegal",                      // the verdict
		`get(x) [follower] -\u003e ? (dropped)`, // the timed-out get
	} {
		assert.Contains(t, page, want)
	}
}

func TestHTMLOfATimedOutCheckIsWritten(t *testing.T) {
	res, err := Check(hardHistory(20), 1)
	require.NoError(t, err)
	require.Equal(t, Unknown, res.Verdict)
	var buf bytes.Buffer
	require.NoError(t, WriteHTML(&buf, res))
	assert.Contains(t, buf.String(), "verdict: unknown")
}

func TestAnnotationsPlaceClientsAndTags(t *testing.T) {
	res := check(t, staleReadHistory())
	anns := Annotations(res)
	require.Len(t, anns, 4)
	assert.Equal(t, "check", anns[0].Tag)
	assert.Equal(t, "fault: clock-drift", anns[1].Tag)
	assert.Equal(t, int64(5), anns[1].Start)
	assert.Equal(t, int64(60), anns[1].End)
	assert.Equal(t, "leader", anns[2].Tag)
	assert.Equal(t, "", anns[3].Tag, "a retry goes on its client's row")
	assert.Equal(t, 1, anns[3].ClientId)
}

func TestWriteHTMLFileReportsUnwritablePath(t *testing.T) {
	err := WriteHTMLFile(filepath.Join(t.TempDir(), "no", "such", "dir.html"), check(t, History{}))
	assert.ErrorContains(t, err, "write visualization")
}
