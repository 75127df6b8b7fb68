//go:build unix

package ingest

import "syscall"

// statfsFree returns the bytes an unprivileged process may still write to
// the file system holding dir.
func statfsFree(dir string) (int64, error) {
	var st syscall.Statfs_t
	if err := syscall.Statfs(dir, &st); err != nil {
		return 0, err
	}
	return int64(st.Bavail) * int64(st.Bsize), nil
}
