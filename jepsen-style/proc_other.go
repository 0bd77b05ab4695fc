//go:build !unix

package jepsen

import (
	"errors"
	"os"
)

var errNoPause = errors.New("pausing a process needs SIGSTOP, which only unix has")

func pause(*os.Process) error  { return errNoPause }
func resume(*os.Process) error { return errNoPause }
