package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

func touch(t *testing.T, p string, data string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
		t.Fatal(err)
	}
}

func symlink(t *testing.T, target, link string) {
	t.Helper()
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
}

// TestWalkSymlinks: a symlinked evidence folder gave 0 sources, and
// symlinked files inside folders were dropped without a word. Links are
// followed, to files and folders; loops and dangling links are listed with
// the reason; a folder reached twice is read once; a file reached through
// two names is one source.
func TestWalkSymlinks(t *testing.T) {
	root := t.TempDir()
	real := filepath.Join(root, "sync", "AWSLogs", "111122223333", "vpcflowlogs", "us-east-1", "2024", "05", "01")
	touch(t, filepath.Join(real, "a.log.gz"), "a")
	touch(t, filepath.Join(root, "elsewhere", "b.log"), "b")
	ev := filepath.Join(root, "evidence")
	if err := os.MkdirAll(ev, 0o755); err != nil {
		t.Fatal(err)
	}
	symlink(t, filepath.Join(root, "sync"), filepath.Join(ev, "bucket"))                   // a linked folder
	symlink(t, filepath.Join(root, "elsewhere", "b.log"), filepath.Join(ev, "b-link.log")) // a linked file
	symlink(t, filepath.Join(root, "nowhere.log"), filepath.Join(ev, "dangling.log"))      // a link to nothing
	symlink(t, ev, filepath.Join(ev, "loop"))                                              // back up: a loop
	symlink(t, filepath.Join(root, "sync"), filepath.Join(ev, "zz-again"))                 // the same folder again
	linkedRoot := filepath.Join(root, "link-to-evidence")
	symlink(t, ev, linkedRoot)

	for _, arg := range []string{ev, linkedRoot} {
		files, _, skipped, err := Walk([]string{arg})
		if err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, f := range files {
			rel, _ := filepath.Rel(arg, f.Path)
			got = append(got, rel)
			if !filepath.IsAbs(f.Canonical) || strings.Contains(f.Canonical, "evidence") {
				t.Errorf("%s: canonical %s is not the real location", f.Path, f.Canonical)
			}
		}
		if strings.Join(got, ",") != "b-link.log,bucket/AWSLogs/111122223333/vpcflowlogs/us-east-1/2024/05/01/a.log.gz" {
			t.Errorf("walk %s: files %v", arg, got)
		}
		reasons := map[string]string{}
		for _, s := range skipped {
			rel, _ := filepath.Rel(arg, s.Path)
			reasons[rel] = s.Reason
		}
		if !strings.Contains(reasons["dangling.log"], "cannot be followed") || !strings.Contains(reasons["loop"], "loop") ||
			!strings.Contains(reasons["zz-again"], "read once") || len(reasons) != 3 {
			t.Errorf("walk %s: skipped %v", arg, reasons)
		}
	}

	// The same file named twice (and through a link) is one file.
	files, _, _, err := Walk([]string{filepath.Join(root, "elsewhere", "b.log"), root + "/elsewhere/../elsewhere//b.log", filepath.Join(ev, "b-link.log")})
	if err != nil || len(files) != 1 {
		t.Errorf("one file three ways: %v, %v", files, err)
	}
	// A dangling link given as an argument says what it points to.
	if _, _, _, err := Walk([]string{filepath.Join(ev, "dangling.log")}); err == nil || !strings.Contains(err.Error(), "nowhere.log") {
		t.Errorf("dangling argument: %v", err)
	}
}

// TestWalkNonRegular refuses a device or a named pipe as an argument and
// lists one found in a folder, without opening either (a FIFO blocks in
// open until a writer comes).
func TestWalkNonRegular(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "x.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skip(err)
	}
	for _, p := range []string{fifo, "/dev/null"} {
		if _, _, _, err := Walk([]string{p}); err == nil || !strings.Contains(err.Error(), "not a file or folder") {
			t.Errorf("%s: %v", p, err)
		}
	}
	_, _, skipped, err := Walk([]string{dir})
	if err != nil || len(skipped) != 1 || !strings.Contains(skipped[0].Reason, "named pipe") {
		t.Errorf("folder: %v %v", skipped, err)
	}
	if _, _, err := HashFile(context.Background(), fifo); err == nil || !strings.Contains(err.Error(), "named pipe") {
		t.Errorf("HashFile of a FIFO: %v", err)
	}
}

// TestCanonical: one location, however it is written.
func TestCanonical(t *testing.T) {
	root := t.TempDir()
	touch(t, filepath.Join(root, "dl1", "x.log.gz"), "x")
	symlink(t, filepath.Join(root, "dl1"), filepath.Join(root, "dl2"))
	want, _ := Canonical(filepath.Join(root, "dl1", "x.log.gz"))
	wd, _ := os.Getwd()
	defer os.Chdir(wd)
	if err := os.Chdir(root); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"dl1/x.log.gz", "./dl1/x.log.gz", "dl1//x.log.gz", "dl2/x.log.gz", "dl2/../dl1/x.log.gz", filepath.Join(root, "dl1", "x.log.gz")} {
		if got, err := Canonical(p); err != nil || got != want {
			t.Errorf("Canonical(%s) = %s, %v; want %s", p, got, err, want)
		}
	}
	// A file that no longer exists keeps its folder's resolution.
	if got, _ := Canonical("dl2/gone.log.gz"); got != filepath.Join(filepath.Dir(want), "gone.log.gz") {
		t.Errorf("Canonical of a missing file = %s", got)
	}
}
