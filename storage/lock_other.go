//go:build !unix

package storage

import "os"

// lockDir does nothing where flock is not available: the caller must make
// sure one process at a time opens a directory.
func lockDir(string) (*os.File, error) { return nil, nil }
