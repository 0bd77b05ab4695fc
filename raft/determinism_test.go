package raft_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestCoreStartsNoGoroutineAndDoesNoIO keeps the core a pure function of its
// inputs: no file under raft/ (tests aside) starts a goroutine or imports a
// package for the clock, global randomness, I/O or the network.
func TestCoreStartsNoGoroutineAndDoesNoIO(t *testing.T) {
	forbidden := map[string]bool{
		"time": true, "math/rand": true, "os": true, "io": true, "io/fs": true, "net": true,
		"net/http": true, "bufio": true, "syscall": true, "os/exec": true, "crypto/rand": true, "log": true,
	}
	files := 0
	err := filepath.WalkDir(".", func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return err
		}
		files++
		f, err := parser.ParseFile(token.NewFileSet(), path, nil, 0)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			assert.False(t, forbidden[p], "%s imports %s", path, p)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if g, ok := n.(*ast.GoStmt); ok {
				assert.Fail(t, "goroutine started", "%s: go statement at offset %d", path, g.Pos())
			}
			return true
		})
		return nil
	})
	require.NoError(t, err)
	assert.Greater(t, files, 10)
}
