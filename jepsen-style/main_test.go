package jepsen

import (
	"context"
	"fmt"
	"os"
	"testing"
	"time"
)

// raftkvBinary is the raftkv built once for the package's tests.
var raftkvBinary string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "jepsen-test-bin-")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	raftkvBinary, err = BuildRaftkv(ctx, dir)
	cancel()
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.RemoveAll(dir)
		os.Exit(2)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}
