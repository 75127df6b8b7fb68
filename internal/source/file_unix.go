//go:build unix

package source

import (
	"io/fs"
	"os"
	"syscall"
)

// fileKey identifies a file on its device: what tells a folder reached
// through a link from the folder it links to, and a file replaced under its
// name from the file read.
type fileKey struct{ dev, ino uint64 }

func keyOf(fi fs.FileInfo, _ string) (fileKey, bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return fileKey{}, false
	}
	return fileKey{uint64(st.Dev), uint64(st.Ino)}, true //nolint:unconvert // the field types differ across systems
}

// openNonblock opens path read-only without blocking: opening a named pipe
// with no writer would otherwise wait for one.
func openNonblock(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_RDONLY|syscall.O_NONBLOCK, 0)
}
