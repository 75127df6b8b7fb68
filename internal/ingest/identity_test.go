package ingest

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// chdir changes the working directory for the rest of the test.
func chdir(t *testing.T, dir string) {
	t.Helper()
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chdir(dir); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chdir(wd) })
}

const awsName = "123456789010_vpcflowlogs_us-east-1_fl-1234abcd_20141214T0405Z_fe123456"

// TestPartialSupersededAnyPath: a partial source was superseded by a good
// copy only under a byte-identical path string; "./dl1/x.log.gz" after
// "dl1/x.log.gz" kept both (the records of the partial counted twice).
// A source is identified by its canonical location, also for paths stored
// by an older flowir as typed; and a good copy of the same AWS delivery
// found elsewhere supersedes the partial one, saying so.
func TestPartialSupersededAnyPath(t *testing.T) {
	full := gz(t, string(lines(5000, 0)))
	truncated := full[:len(full)*2/3]
	tests := []struct {
		name          string
		first, second string // the partial copy, and the path the good copy is ingested under
		secondFile    string // where the good copy is (default: first)
		stored        string // the path an older flowir would have stored, "" for today's
		note          string
	}{
		{name: "dot slash", first: "dl1/x.log.gz", second: "./dl1/x.log.gz"},
		{name: "absolute", first: "dl1/x.log.gz", second: "ABS/dl1/x.log.gz"},
		{name: "through a link", first: "dl1/x.log.gz", second: "link/x.log.gz"},
		{name: "old case, relative path", first: "dl1/x.log.gz", second: "ABS/dl1/x.log.gz", stored: "dl1/x.log.gz"},
		{name: "old case, dot slash", first: "dl1/x.log.gz", second: "dl1/x.log.gz", stored: "./dl1//x.log.gz"},
		{name: "same delivery elsewhere", first: "dl1/" + awsName + ".log.gz", second: "dl2/" + awsName + ".log.gz",
			secondFile: "dl2/" + awsName + ".log.gz", note: "supersedes partial source 1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			root := t.TempDir()
			chdir(t, root)
			if err := os.MkdirAll("dl1", 0o755); err != nil {
				t.Fatal(err)
			}
			os.Symlink(filepath.Join(root, "dl1"), "link")
			c := newCase(t)
			if err := os.WriteFile(tt.first, truncated, 0o644); err != nil {
				t.Fatal(err)
			}
			if s := mustRun(t, c, Options{Paths: []string{tt.first}}); s.Partial != 1 {
				t.Fatalf("first run: %+v", s)
			}
			if tt.stored != "" {
				if _, err := c.DB().Exec("UPDATE sources SET path = ?", tt.stored); err != nil {
					t.Fatal(err)
				}
			}
			good := tt.secondFile
			if good == "" {
				good = tt.first
			}
			os.MkdirAll(filepath.Dir(good), 0o755)
			if err := os.WriteFile(good, full, 0o644); err != nil {
				t.Fatal(err)
			}
			second := strings.Replace(tt.second, "ABS", root, 1)
			s := mustRun(t, c, Options{Paths: []string{second}})
			if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 5000 {
				t.Errorf("flows = %d, want 5000 (the partial copy's records counted twice?)", n)
			}
			if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'superseded'"); n != 1 {
				t.Errorf("superseded sources = %d, want 1", n)
			}
			if tt.note != "" && (len(s.Results) != 1 || !strings.Contains(strings.Join(s.Results[0].Notes, " "), tt.note)) {
				t.Errorf("no note %q: %+v", tt.note, s.Results)
			}
		})
	}
}

// TestPartialCopies settles copies of one delivery that are both partial,
// or partial after a complete one: nothing counted twice, the larger kept.
func TestPartialCopies(t *testing.T) {
	full := gz(t, string(lines(5000, 0)))
	small, large := full[:len(full)/3], full[:len(full)*2/3]
	dir := t.TempDir()
	p := func(sub string) string { return filepath.Join(dir, sub, awsName+".log.gz") }
	write(t, dir, "a/"+awsName+".log.gz", large)
	write(t, dir, "b/"+awsName+".log.gz", small)
	write(t, dir, "c/"+awsName+".log.gz", full)
	c := newCase(t)
	mustRun(t, c, Options{Paths: []string{p("a")}})
	largeN := scalar(t, c, "SELECT count(*) FROM flows")
	// A smaller partial copy is not stored.
	s := mustRun(t, c, Options{Paths: []string{p("b")}})
	if s.Skipped != 1 || scalar(t, c, "SELECT count(*) FROM flows") != largeN {
		t.Fatalf("smaller partial copy: %+v", s)
	}
	// The complete copy supersedes; a partial one after it is not stored.
	mustRun(t, c, Options{Paths: []string{p("c")}})
	os.WriteFile(p("b"), append(append([]byte{}, small...), 0), 0o644) // other bytes: not a duplicate by hash
	s = mustRun(t, c, Options{Paths: []string{p("b")}})
	if s.Skipped != 1 || scalar(t, c, "SELECT count(*) FROM flows") != 5000 {
		t.Fatalf("partial copy after the complete one: %+v; flows %d", s, scalar(t, c, "SELECT count(*) FROM flows"))
	}
}

// TestSameRecordsOtherContainer: a .log.gz and the .log gunzipped from it,
// a larger re-export under the same AWS name, and flowir's own Parquet
// export ingested again counted their records twice without a word.
func TestSameRecordsOtherContainer(t *testing.T) {
	text := lines(300, 0)
	t.Run("gz and gunzipped", func(t *testing.T) {
		for _, oneRun := range []bool{true, false} {
			dir := t.TempDir()
			gzPath := write(t, dir, "AWSLogs/123456789010/vpcflowlogs/us-east-1/2014/12/14/"+awsName+".log.gz", gz(t, string(text)))
			logPath := write(t, dir, "copy/"+awsName+".log", text)
			c := newCase(t)
			var s *Summary
			if oneRun {
				s = mustRun(t, c, Options{Paths: []string{dir}, Workers: 2})
			} else {
				mustRun(t, c, Options{Paths: []string{gzPath}})
				s = mustRun(t, c, Options{Paths: []string{logPath}})
			}
			if n := scalar(t, c, "SELECT count(*) FROM flows"); n != 300 {
				t.Errorf("one run %v: flows = %d, want 300", oneRun, n)
			}
			var skipped *FileResult
			for i, r := range s.Results {
				if r.Outcome == Skipped {
					skipped = &s.Results[i]
				}
			}
			if skipped == nil || !strings.Contains(strings.Join(skipped.Notes, " "), "content decoded is the same") || skipped.DuplicateOf == "" {
				t.Errorf("one run %v: no skip saying why: %+v", oneRun, s.Results)
			}
		}
	})
	t.Run("re-export under the same name", func(t *testing.T) {
		dir := t.TempDir()
		a := write(t, dir, "a/"+awsName+".log.gz", gz(t, string(text)))
		b := write(t, dir, "b/"+awsName+".log.gz", gz(t, string(lines(310, 0))))
		c := newCase(t)
		mustRun(t, c, Options{Paths: []string{a}})
		s := mustRun(t, c, Options{Paths: []string{b}})
		notes := strings.Join(s.Results[0].Notes, " ")
		if s.Ingested != 1 || !strings.Contains(notes, "warning") || !strings.Contains(notes, a) {
			t.Errorf("re-export: %+v", s.Results)
		}
	})
	t.Run("the same path rewritten", func(t *testing.T) {
		dir := t.TempDir()
		a := write(t, dir, "export.log", text)
		c := newCase(t)
		mustRun(t, c, Options{Paths: []string{a}})
		write(t, dir, "export.log", lines(310, 0))
		s := mustRun(t, c, Options{Paths: []string{a}})
		if notes := strings.Join(s.Results[0].Notes, " "); !strings.Contains(notes, "warning") || !strings.Contains(notes, "same location") {
			t.Errorf("rewritten file: %+v", s.Results)
		}
	})
	_ = context.Background
}
