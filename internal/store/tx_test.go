package store

import (
	"context"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

// TestCancelledBatches cancels batches at random points of their life (as
// Ctrl-C or a failed sibling would) and checks after each that the case is
// exactly what the batches reported, and that the next batch, on a context
// that is not cancelled, commits: no connection goes back to the pool with
// a transaction still open. (DuckDB can leave a transaction begun when the
// statement that begins it is interrupted; such a connection, reused, fails
// every later batch on it with "cannot start a transaction within a
// transaction".)
func TestCancelledBatches(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(t.TempDir(), "case"), Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	iterations := 150
	if testing.Short() {
		iterations = 30
	}
	rng := rand.New(rand.NewPCG(1, 2))
	var wantSources, wantRecords int64
	for i := range iterations {
		cctx, cancel := context.WithCancel(ctx)
		delay := time.Duration(rng.Int64N(int64(12 * time.Millisecond)))
		timer := time.AfterFunc(delay, cancel)
		r, mask := layoutRecord(t, i%3)
		n, ok := cancelledSource(cctx, c, fmt.Sprintf("cancel-%d.log", i), r, mask, 200, i%2 == 0)
		timer.Stop()
		cancel()
		if ok {
			wantSources++
			wantRecords += n
		}
		b, err := c.BeginBatch(ctx)
		if err != nil {
			t.Fatal(err)
		}
		addSource(t, b, fmt.Sprintf("after-%d.log", i), (i+1)%3, 10, i%4 == 1)
		if err := b.Commit(); err != nil {
			t.Fatalf("iteration %d (cancelled after %v): the next batch failed: %v", i, delay, err)
		}
		wantSources++
		wantRecords += 10
		if got := count(t, c, "SELECT count(*) FROM sources"); got != wantSources {
			t.Fatalf("iteration %d (cancelled after %v): %d sources in the case, the batches reported %d", i, delay, got, wantSources)
		}
		if got := count(t, c, "SELECT count(*) FROM flows"); got != wantRecords {
			t.Fatalf("iteration %d (cancelled after %v): %d records in the case, the batches reported %d", i, delay, got, wantRecords)
		}
	}
}

// cancelledSource stores n copies of r as one source in a batch of
// its own on ctx, which may be cancelled at any point; it reports the
// records stored and whether the batch committed. Errors are expected: a cancelled
// batch is aborted.
func cancelledSource(ctx context.Context, c *Case, path string, r *flow.Record, mask uint64, n int, reject bool) (int64, bool) {
	b, err := c.BeginBatch(ctx)
	if err != nil {
		return 0, false
	}
	w, err := b.BeginSource(Source{Path: path, Origin: "file", SHA256: path})
	if err != nil {
		b.Abort()
		return 0, false
	}
	if reject {
		if err := w.AddReject(1, decode.ReasonBadIP, "bad", []byte("x")); err != nil {
			b.Abort()
			return 0, false
		}
	}
	for j := range n {
		if err := w.AddRecord(r, int64(j+2), false, mask); err != nil {
			b.Abort()
			return 0, false
		}
	}
	st := Stats{Lines: int64(n), Records: int64(n), Status: StatusComplete}
	if reject {
		st.Lines, st.Rejects = st.Lines+1, 1
	}
	w.Finish(st)
	if err := b.Commit(); err != nil {
		return 0, false
	}
	return int64(n), true
}

// TestDiscard checks that a discarded connection, here one left inside a
// transaction, leaves the pool, so that later transactions get clean ones.
func TestDiscard(t *testing.T) {
	ctx := context.Background()
	c, err := Open(ctx, filepath.Join(t.TempDir(), "case"), Options{Create: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	conn, err := c.db.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := conn.ExecContext(ctx, "BEGIN TRANSACTION"); err != nil {
		t.Fatal(err)
	}
	open := c.db.Stats().OpenConnections
	discard(conn)
	if got := c.db.Stats().OpenConnections; got != open-1 {
		t.Fatalf("%d connections open after discarding one of %d", got, open)
	}
	// Every connection the pool gives out now can begin a transaction.
	for range 4 {
		tx, err := c.beginTx(ctx)
		if err != nil {
			t.Fatalf("a connection from the pool: %v", err)
		}
		if err := tx.Commit(); err != nil {
			t.Fatal(err)
		}
	}
}
