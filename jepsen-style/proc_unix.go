//go:build unix

package jepsen

import (
	"os"
	"syscall"
)

// pause stops the process with SIGSTOP: it keeps its sockets and memory
// but runs nothing, as a long GC pause or a stalled VM would.
func pause(p *os.Process) error { return p.Signal(syscall.SIGSTOP) }

// resume continues a process stopped by pause.
func resume(p *os.Process) error { return p.Signal(syscall.SIGCONT) }
