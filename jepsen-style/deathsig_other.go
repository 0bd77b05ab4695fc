//go:build !linux

package jepsen

import "syscall"

// childAttr is nil where the kernel cannot kill children with their
// parent; Cluster.Close still kills them on every normal exit path.
func childAttr() *syscall.SysProcAttr { return nil }
