package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The crash-consistency test: a child process (this test binary, running
// TestCrashChild) loads batches into a case and is killed with SIGKILL,
// either at a named point of a commit (after the files are written, after
// they are renamed into data/, after they are registered, after the
// commit) or at a random moment. The parent then opens the case for
// writing and checks that it holds exactly the committed sources, whole,
// and only the files registered for them; then it loads the sources that
// are not in the case and checks the result is one clean run's.

const (
	crashSources   = 6  // sources per run, 2 per batch
	crashPerSource = 50 // records per source
)

// crashLoad loads the sources of the crash test that are not in the case
// yet, two per batch.
func crashLoad(t *testing.T, c *Case) {
	ctx := context.Background()
	have := map[string]bool{}
	rows, err := c.DB().Query(`SELECT path FROM sources WHERE status = 'complete'`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		rows.Scan(&p)
		have[p] = true
	}
	rows.Close()
	var b *Batch
	for i := range crashSources {
		p := fmt.Sprintf("s%d.log", i)
		if have[p] {
			continue
		}
		if b == nil {
			if b, err = c.BeginBatch(ctx); err != nil {
				t.Fatal(err)
			}
		}
		addSource(t, b, p, i%3, crashPerSource, i%2 == 0)
		if b.Sources() == 2 {
			if err := b.Commit(); err != nil {
				t.Fatal(err)
			}
			b = nil
		}
	}
	if b != nil {
		if err := b.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}

// TestCrashChild is the child process; it does nothing in a normal run.
func TestCrashChild(t *testing.T) {
	dir := os.Getenv("FLOWIR_CRASH_CASE")
	if dir == "" {
		t.Skip("the child process of TestCrashConsistency")
	}
	point := os.Getenv("FLOWIR_CRASH_POINT")
	after, _ := strconv.Atoi(os.Getenv("FLOWIR_CRASH_AFTER")) // commits reaching the point before the kill
	c, err := Open(context.Background(), dir, Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	crashPoint = func(p string) {
		if p == point {
			if n == after {
				syscall.Kill(os.Getpid(), syscall.SIGKILL)
				time.Sleep(time.Minute)
			}
			n++
		}
	}
	crashLoad(t, c)
	if strings.HasPrefix(point, "compact-") {
		if _, err := c.Compact(context.Background(), CompactOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
}

func TestCrashConsistency(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	type run struct {
		point string
		after int
		delay time.Duration // a random kill instead of a point
	}
	var runs []run
	for _, p := range []string{"written", "placed", "registered", "committed"} {
		runs = append(runs, run{point: p}, run{point: p, after: 1})
	}
	// Compaction of the three files the batches wrote, killed at each
	// point of its one transaction.
	for _, p := range []string{"compact-written", "compact-placed", "compact-registered", "compact-committed"} {
		runs = append(runs, run{point: p})
	}
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 11))
	for range 4 {
		runs = append(runs, run{delay: time.Duration(800+rng.IntN(2500)) * time.Millisecond})
	}
	for i, r := range runs {
		t.Run(strconv.Itoa(i), func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "case")
			cmd := exec.Command(os.Args[0], "-test.run=^TestCrashChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), "FLOWIR_CRASH_CASE="+dir, "FLOWIR_CRASH_POINT="+r.point, "FLOWIR_CRASH_AFTER="+strconv.Itoa(r.after))
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if r.delay > 0 {
				time.AfterFunc(r.delay, func() { cmd.Process.Kill() })
			}
			err := cmd.Wait()
			t.Logf("point %q after %d delay %v: child %v", r.point, r.after, r.delay, err)
			if r.delay == 0 && err == nil {
				t.Fatalf("the child was not killed at %q", r.point)
			}
			if _, serr := os.Stat(filepath.Join(dir, DBFile)); serr != nil {
				return // killed before the case existed
			}
			c, err := Open(context.Background(), dir, Options{Load: true})
			if err != nil {
				t.Fatalf("open after the kill: %v", err)
			}
			defer c.Close()
			check := func(when string) int64 {
				t.Helper()
				srcs := count(t, c, "SELECT count(*) FROM sources")
				if got, want := count(t, c, "SELECT count(*) FROM flows"), srcs*crashPerSource; got != want {
					t.Fatalf("%s: %d records for %d sources, want %d", when, got, srcs, want)
				}
				if got, want := count(t, c, "SELECT coalesce(sum(records), 0) FROM sources"), srcs*crashPerSource; got != want {
					t.Fatalf("%s: the sources count %d records, want %d", when, got, want)
				}
				if got := count(t, c, "SELECT count(*) FROM flows f ANTI JOIN sources s USING (source_id)"); got != 0 {
					t.Fatalf("%s: %d records of no committed source", when, got)
				}
				if got := count(t, c, "SELECT count(*) FROM rejects r ANTI JOIN sources s USING (source_id)"); got != 0 {
					t.Fatalf("%s: %d rejects of no committed source", when, got)
				}
				if got := count(t, c, "SELECT coalesce(sum(records), 0) FROM data_file_sources"); got != srcs*crashPerSource {
					t.Fatalf("%s: the registered files hold %d records, want %d", when, got, srcs*crashPerSource)
				}
				reg, disk := dataFileCount(t, c, "flows")
				if reg != disk {
					t.Fatalf("%s: %d files registered, %d on disk", when, reg, disk)
				}
				return srcs
			}
			t.Logf("after the kill: %d sources in the case", check("after the kill"))
			crashLoad(t, c)
			if n := check("after the rerun"); n != crashSources {
				t.Fatalf("after the rerun %d sources, want %d", n, crashSources)
			}
			if got, want := count(t, c, "SELECT sum(bytes) FROM flows"), int64(2*crashPerSource*(1000+2000+3000)); got != want {
				t.Fatalf("after the rerun sum(bytes) = %d, want %d", got, want)
			}
			if strings.HasPrefix(r.point, "compact-") {
				reg, _ := dataFileCount(t, c, "flows")
				want := 3 // the kill came before the commit
				if r.point == "compact-committed" {
					want = 1
				}
				if reg != want {
					t.Fatalf("killed at %s: %d files registered, want %d", r.point, reg, want)
				}
				if _, err := c.Compact(context.Background(), CompactOptions{}); err != nil {
					t.Fatal(err)
				}
				check("after compacting again")
				if reg, disk := dataFileCount(t, c, "flows"); reg != 1 || disk != 1 {
					t.Fatalf("after compacting again: %d files registered, %d on disk, want 1", reg, disk)
				}
				if got, want := count(t, c, "SELECT sum(bytes) FROM flows"), int64(2*crashPerSource*(1000+2000+3000)); got != want {
					t.Fatalf("after compacting again sum(bytes) = %d, want %d", got, want)
				}
			}
		})
	}
}
