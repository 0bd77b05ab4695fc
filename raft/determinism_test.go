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

// randV2Seeded are the names of math/rand/v2 that draw from no global
// source.
var randV2Seeded = map[string]bool{"Rand": true, "New": true, "NewPCG": true, "PCG": true, "Source": true}

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
		usesRandV2 := false
		for _, imp := range f.Imports {
			usesRandV2 = usesRandV2 || imp.Path.Value == `"math/rand/v2"`
		}
		ast.Inspect(f, func(n ast.Node) bool {
			// math/rand/v2 is allowed for its types, seeded by the caller
			// (Config.Rand); its package-level functions draw from a
			// global source.
			if sel, ok := n.(*ast.SelectorExpr); ok && usesRandV2 {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "rand" && !randV2Seeded[sel.Sel.Name] {
					assert.Fail(t, "global randomness", "%s uses rand.%s", path, sel.Sel.Name)
				}
			}
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
