package source

import (
	"context"
	"io"
)

// ContextReader returns a reader of r whose Read returns ctx's error as
// soon as ctx is done, even while a read of r blocks (standard input from a
// pipe whose writer is silent, say). The reads of r happen in a goroutine
// of their own; when ctx ends during one, that goroutine is left to finish
// it (it ends when r returns, at the latest when the process exits), and
// nothing more is read.
func ContextReader(ctx context.Context, r io.Reader) io.Reader {
	return &ctxReader{ctx: ctx, r: r}
}

type ctxReader struct {
	ctx  context.Context
	r    io.Reader
	buf  []byte
	res  chan readResult
	busy bool // a read is under way in the goroutine
	err  error
}

type readResult struct {
	n   int
	err error
}

func (c *ctxReader) Read(p []byte) (int, error) {
	if c.err != nil {
		return 0, c.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	if c.res == nil {
		c.res = make(chan readResult, 1)
	}
	if !c.busy {
		if cap(c.buf) < len(p) {
			c.buf = make([]byte, len(p))
		}
		buf := c.buf[:len(p)]
		c.busy = true
		go func() {
			n, err := c.r.Read(buf)
			c.res <- readResult{n, err}
		}()
	}
	select {
	case <-c.ctx.Done():
		// The goroutine may still be writing into c.buf: never reuse it.
		c.err = c.ctx.Err()
		return 0, c.err
	case res := <-c.res:
		c.busy = false
		n := copy(p, c.buf[:res.n])
		if res.err != nil {
			c.err = res.err
		}
		return n, res.err
	}
}
