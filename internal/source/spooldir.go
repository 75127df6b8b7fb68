package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// spoolDirPrefix names the folders OpenSpoolDir makes; only folders of
// this name that hold a spoolLock are ever removed by another process.
const (
	spoolDirPrefix = "flowir-spool-dir-"
	spoolLock      = "lock"
)

// SpoolDir is the folder of one ingest's spooled objects: a folder of its
// own inside the folder the user chose (--spool-dir, else the system's
// temporary folder), locked while the ingest runs. A process killed with
// SIGKILL (or a machine that lost power) cannot remove its temporary files;
// the lock, which the system releases when the process ends however it
// ends, tells the next ingest that the folder is stale, and it removes it
// (issue 17.15). Two ingests running at once, on one case or two, each see
// the other's folder locked and leave it alone.
type SpoolDir struct {
	Path string
	// Removed lists the stale folders removed when this one was made.
	Removed []string
	lock    *os.File
}

// OpenSpoolDir removes the stale spool folders in parent (os.TempDir()
// when "") and makes this process's own, locked.
func OpenSpoolDir(parent string) (*SpoolDir, error) {
	if parent == "" {
		parent = os.TempDir()
	}
	d := &SpoolDir{}
	if entries, err := os.ReadDir(parent); err == nil {
		for _, e := range entries {
			if !e.IsDir() || !strings.HasPrefix(e.Name(), spoolDirPrefix) {
				continue
			}
			p := filepath.Join(parent, e.Name())
			if staleSpoolDir(p) && os.RemoveAll(p) == nil {
				d.Removed = append(d.Removed, p)
			}
		}
	}
	dir, err := os.MkdirTemp(parent, spoolDirPrefix+"*")
	if err != nil {
		return nil, fmt.Errorf("spool folder (--spool-dir) in %s: %w", parent, err)
	}
	f, err := os.OpenFile(filepath.Join(dir, spoolLock), os.O_CREATE|os.O_RDWR, 0o600)
	if err == nil {
		if err = lockOwn(f); err != nil {
			f.Close()
		}
	}
	if err != nil {
		os.RemoveAll(dir)
		return nil, fmt.Errorf("spool folder %s: lock: %w", dir, err)
	}
	fmt.Fprintf(f, "%d\n", os.Getpid())
	d.Path, d.lock = dir, f
	return d, nil
}

// staleSpoolDir reports whether the spool folder p belongs to a process
// that has ended: its lock file can be locked. A folder without a lock file
// is left alone: it may be being made (a process that ended just then
// leaves an empty folder, which costs nothing).
func staleSpoolDir(p string) bool {
	f, err := os.OpenFile(filepath.Join(p, spoolLock), os.O_RDWR, 0)
	if err != nil {
		return false
	}
	defer f.Close()
	ok, err := tryLock(f)
	return err == nil && ok
}

// Close removes the folder with what is left in it and releases its lock.
func (d *SpoolDir) Close() error {
	err := os.RemoveAll(d.Path)
	d.lock.Close()
	return err
}
