//go:build unix

package source

import (
	"os"
	"path/filepath"
	"testing"
)

// TestSpoolDirStale leaves the spool folder of a killed ingest (a lock file
// nobody holds, a spooled object) next to that of a running one (its lock
// held), and checks that a new ingest removes the first and only it (issue
// 17.15), and that an ingest's own folder goes when it closes.
func TestSpoolDirStale(t *testing.T) {
	parent := t.TempDir()
	running, err := OpenSpoolDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	defer running.Close()
	if err := os.WriteFile(filepath.Join(running.Path, "flowir-spool-1"), []byte("live"), 0o600); err != nil {
		t.Fatal(err)
	}
	killed := filepath.Join(parent, spoolDirPrefix+"killed")
	if err := os.MkdirAll(killed, 0o700); err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{spoolLock, "flowir-spool-2"} {
		if err := os.WriteFile(filepath.Join(killed, name), []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	other := filepath.Join(parent, "flowir-spool-dir-without-lock")
	if err := os.MkdirAll(other, 0o700); err != nil {
		t.Fatal(err)
	}

	d, err := OpenSpoolDir(parent)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Removed) != 1 || d.Removed[0] != killed {
		t.Errorf("removed %v, want only %s", d.Removed, killed)
	}
	for _, p := range []string{filepath.Join(running.Path, "flowir-spool-1"), other, d.Path} {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s: %v", p, err)
		}
	}
	if _, err := os.Stat(killed); !os.IsNotExist(err) {
		t.Errorf("stale folder still there: %v", err)
	}
	if err := d.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(d.Path); !os.IsNotExist(err) {
		t.Errorf("own folder left after Close: %v", err)
	}
}
