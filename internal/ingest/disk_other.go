//go:build !unix

package ingest

import "errors"

// statfsFree is not known here: the disk checks are skipped.
func statfsFree(string) (int64, error) {
	return 0, errors.New("free disk space is not known on this system")
}
