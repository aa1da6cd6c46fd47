//go:build !(linux || darwin || freebsd || openbsd || netbsd || dragonfly)

package issuer

// lockName is the lock file of a key directory (unused here).
const lockName = ".lock"

// lockDir does nothing where flock is missing: two rotations at the same
// instant could each miss the other's key in the manifest.
func lockDir(dir string) (unlock func(), err error) { return func() {}, nil }
