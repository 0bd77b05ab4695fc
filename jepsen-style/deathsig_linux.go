package jepsen

import "syscall"

// childAttr has the kernel SIGKILL a node when the runner dies, however it
// dies (a panic, a test binary killed at its timeout), so no raftkv process
// outlives its run.
func childAttr() *syscall.SysProcAttr {
	return &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL}
}
