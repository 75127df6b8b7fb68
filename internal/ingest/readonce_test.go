package ingest

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// TestPipeIsNotReadTwice gives ingest a pipe (what `flowir ingest
// <(cat file.log)` passes: /dev/fd/N) and standard input. A pipe can be
// read once: hashing it and then decoding it stored an empty source under
// the content's SHA-256, after which the real file was skipped as a
// duplicate and its records were lost. A pipe path is refused; "-" reads
// standard input once, and what it stores is what it read.
func TestPipeIsNotReadTwice(t *testing.T) {
	content := lines(3, 100)
	real := write(t, t.TempDir(), "real.log", content)

	t.Run("pipe path", func(t *testing.T) {
		c := newCase(t)
		pr, pw, err := os.Pipe()
		if err != nil {
			t.Fatal(err)
		}
		defer pr.Close()
		go func() { pw.Write(content); pw.Close() }()
		path := fmt.Sprintf("/dev/fd/%d", pr.Fd())
		sum, err := Run(context.Background(), c, Options{Paths: []string{path}})
		if err == nil || !strings.Contains(err.Error(), "named pipe") || !strings.Contains(err.Error(), "give - ") {
			t.Errorf("a pipe as a source: err = %v, summary %+v; want a refusal that names the pipe and -", err, sum)
		}
		if n := scalar(t, c, "SELECT count(*) FROM sources"); n != 0 {
			t.Errorf("%d sources stored from a pipe", n)
		}
		// The real file is then loaded, not skipped as a duplicate.
		sum = mustRun(t, c, Options{Paths: []string{real}})
		if sum.Ingested != 1 || sum.Records != 3 || scalar(t, c, "SELECT count(*) FROM flows") != 3 {
			t.Errorf("the real file after the pipe: %+v", sum)
		}
	})

	t.Run("stdin", func(t *testing.T) {
		c := newCase(t)
		sum := mustRun(t, c, Options{Paths: []string{"-"}, Stdin: bytes.NewReader(content)})
		if sum.Ingested != 1 || sum.Records != 3 || sum.Lines != 4 {
			t.Fatalf("stdin: %+v", sum)
		}
		var stored string
		if err := c.DB().QueryRow("SELECT sha256 FROM sources WHERE origin = 'stdin'").Scan(&stored); err != nil || stored != sha(content) {
			t.Fatalf("stdin source sha256 %q (%v), want that of what was read, %s", stored, err, sha(content))
		}
		// The same content as a file is a duplicate of what stdin stored,
		// and nothing is counted twice.
		sum = mustRun(t, c, Options{Paths: []string{real}})
		if sum.Skipped != 1 || scalar(t, c, "SELECT count(*) FROM flows") != 3 {
			t.Errorf("the file after stdin: %+v", sum)
		}
	})

	t.Run("stdin twice", func(t *testing.T) {
		c := newCase(t)
		if _, err := Run(context.Background(), c, Options{Paths: []string{"-", "-"}, Stdin: bytes.NewReader(content)}); err == nil {
			t.Error("- given twice was accepted")
		}
	})
}

// TestNonRegularFiles refuses devices and named pipes given as sources
// (/dev/zero and a FIFO hung ingest: one never ends, the other blocks in
// open), lists those found in folders instead of hanging on them, and
// stops reading a silent standard input when the run is cancelled.
func TestNonRegularFiles(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "flows.log")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	write(t, dir, "good.log", lines(2, 0))
	for _, tt := range []struct{ path, want string }{
		{"/dev/zero", "character device"},
		{"/dev/urandom", "character device"},
		{fifo, "named pipe"},
	} {
		t.Run(filepath.Base(tt.path), func(t *testing.T) {
			c := newCase(t)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Run(ctx, c, Options{Paths: []string{tt.path}})
			if ctx.Err() != nil {
				t.Fatalf("ingest %s hung", tt.path)
			}
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ingest %s: err = %v, want it refused as a %s", tt.path, err, tt.want)
			}
		})
	}
	t.Run("in a folder", func(t *testing.T) {
		c := newCase(t)
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		defer cancel()
		sum, err := Run(ctx, c, Options{Paths: []string{dir}})
		if err != nil {
			t.Fatal(err)
		}
		if sum.Ingested != 1 || len(sum.NotRead) != 1 || sum.NotRead[0].Path != fifo || !strings.Contains(sum.NotRead[0].Reason, "named pipe") {
			t.Fatalf("folder with a FIFO: %+v", sum)
		}
	})
	t.Run("silent stdin", func(t *testing.T) {
		c := newCase(t)
		pr, pw := io.Pipe() // no writer ever writes
		defer pw.Close()
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() {
			_, err := Run(ctx, c, Options{Paths: []string{"-"}, Stdin: pr})
			done <- err
		}()
		time.Sleep(100 * time.Millisecond)
		cancel()
		select {
		case err := <-done:
			if err == nil || !strings.Contains(err.Error(), "interrupted") {
				t.Errorf("cancelled run: %v", err)
			}
		case <-time.After(10 * time.Second):
			t.Fatal("a cancelled ingest kept waiting for standard input")
		}
	})
}

// TestFileChangedWhileRead changes files as an `aws s3 sync` still running
// into the folder would: one is rewritten after its finder hashed it and
// before its loader reads it, one grows while its loader reads it. Each was
// stored with the SHA-256 of bytes other than those its records came from,
// so that the next ingest saw new content and loaded it again: counted
// twice. Now such a file is reported as changed and not stored, and the
// next ingest loads what it then holds, once.
func TestFileChangedWhileRead(t *testing.T) {
	for _, when := range []string{"before read", "while read"} {
		t.Run(when, func(t *testing.T) {
			c := newCase(t)
			dir := t.TempDir()
			// a.log keeps the single loader busy while b.log waits.
			bigA := lines(300000, 0)
			write(t, dir, "a.log", bigA)
			bContent := lines(2, 1000)
			if when == "while read" {
				bContent = lines(400000, 1000)
			}
			b := write(t, dir, "b.log", bContent)
			var changed atomic.Bool
			var mu sync.Mutex
			change := func() {
				mu.Lock()
				defer mu.Unlock()
				if changed.Load() {
					return
				}
				changed.Store(true)
				f, err := os.OpenFile(b, os.O_WRONLY|os.O_APPEND, 0)
				if err != nil {
					t.Error(err)
					return
				}
				f.Write(lines(3, 5000)[len(header):])
				f.Close()
			}
			progress := func(p Progress) {
				switch when {
				case "before read": // b.log is hashed (found), a.log still loading
					if p.FilesTotal == 2 && p.FilesDone == 0 {
						change()
					}
				case "while read": // a.log done, b.log partly read
					if p.FilesDone == 1 && p.BytesDone > int64(len(bigA))+int64(len(bContent))/4 {
						change()
					}
				}
			}
			sum, err := Run(context.Background(), c, Options{Paths: []string{dir}, Workers: 1, Tick: time.Millisecond, Progress: progress})
			if err != nil {
				t.Fatal(err)
			}
			if !changed.Load() {
				t.Skip("the file could not be changed at the right moment (machine too fast or too slow)")
			}
			final, _ := os.ReadFile(b)
			// Whatever the run stored of b.log must be the records of the
			// bytes whose hash it recorded.
			rows, err := c.DB().Query("SELECT sha256, records, status FROM sources WHERE path LIKE '%b.log'")
			if err != nil {
				t.Fatal(err)
			}
			for rows.Next() {
				var h, status string
				var n int64
				rows.Scan(&h, &n, &status)
				if status == "failed" {
					continue
				}
				wantN := int64(bytes.Count(bContent, []byte("\n")) - 1)
				if h == sha(final) {
					wantN = int64(bytes.Count(final, []byte("\n")) - 1)
				} else if h != sha(bContent) {
					t.Errorf("b.log stored under a hash of neither content")
				}
				if n != wantN {
					t.Errorf("b.log stored with %d records under the SHA-256 of content with %d", n, wantN)
				}
			}
			rows.Close()
			var res *FileResult
			for i := range sum.Results {
				if strings.HasSuffix(sum.Results[i].Path, "b.log") {
					res = &sum.Results[i]
				}
			}
			if res == nil || res.Outcome != Failed || !strings.Contains(res.Error, "changed while it was read") {
				t.Fatalf("b.log: %+v, want it failed as changed", res)
			}
			if sum.Records != 300000 {
				t.Errorf("summary counts %d records, want a.log's 300000 only", sum.Records)
			}
			// The next run loads b.log as it now is, once.
			sum = mustRun(t, c, Options{Paths: []string{dir}})
			want := int64(300000 + bytes.Count(final, []byte("\n")) - 1)
			if n := scalar(t, c, "SELECT count(*) FROM flows"); n != want || sum.Ingested != 1 {
				t.Errorf("after the rerun: %d records, want %d; %+v", n, want, sum)
			}
			if n := scalar(t, c, "SELECT count(*) FROM sources WHERE status = 'failed'"); n != 0 {
				t.Errorf("the rerun left %d failed sources (its success supersedes the failure)", n)
			}
		})
	}
}
