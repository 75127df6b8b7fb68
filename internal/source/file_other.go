//go:build !unix

package source

import (
	"io/fs"
	"os"
)

// fileKey identifies a folder by its canonical path where the system gives
// no device and inode numbers.
type fileKey struct{ path string }

func keyOf(_ fs.FileInfo, canon string) (fileKey, bool) {
	return fileKey{canon}, canon != ""
}

func openNonblock(path string) (*os.File, error) { return os.Open(path) }
