//go:build unix

package source

import (
	"errors"
	"os"
	"syscall"
)

// tryLock takes an exclusive lock on f without waiting: false when another
// process holds it. The system releases it when the process ends, killed or
// not.
func tryLock(f *os.File) (bool, error) {
	err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB)
	if errors.Is(err, syscall.EWOULDBLOCK) {
		return false, nil
	}
	return err == nil, err
}

// lockOwn locks the lock file of this process's spool folder, just made.
func lockOwn(f *os.File) error {
	ok, err := tryLock(f)
	if err == nil && !ok {
		err = errors.New("locked by another process")
	}
	return err
}
