//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package issuer

import (
	"os"
	"path/filepath"
	"syscall"
)

// lockName is the lock file of a key directory.
const lockName = ".lock"

// lockDir takes an exclusive lock on the key directory, waiting for
// another process that holds it (flock: released if that process dies).
func lockDir(dir string) (unlock func(), err error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, err
	}
	for {
		err = syscall.Flock(int(f.Fd()), syscall.LOCK_EX)
		if err != syscall.EINTR {
			break
		}
	}
	if err != nil {
		f.Close()
		return nil, err
	}
	return func() {
		syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
		f.Close()
	}, nil
}
