package source

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
)

// DefaultSpoolMemory is how large a fetched object may be and still be held
// in memory while it is ingested; larger ones go to a temporary file. With
// N parallel downloads, memory for object bytes stays under about
// (N + ingest workers) x DefaultSpoolMemory whatever the object sizes.
const DefaultSpoolMemory = 8 << 20

// Spooler makes Spools: in memory up to MemLimit bytes, else in a
// temporary file in Dir (os.TempDir() when "").
type Spooler struct {
	Dir      string
	MemLimit int64
	// OnWrite, when set, is told of every write (for progress).
	OnWrite func(n int)
}

// Spool holds the bytes of a fetched object (an S3 object, a CloudWatch Logs
// stream's events) while it is ingested, with their size and SHA-256. It is
// what lets a remote object be hashed before it is decoded, exactly as a
// local file is: the content decides whether it is already in the case, and
// a failed download never reaches the decoder as "damaged evidence".
type Spool struct {
	Name   string // what the bytes are, for messages: s3://bucket/key
	Size   int64
	SHA256 string
	buf    []byte
	path   string // temporary file, when not in memory
}

// SpoolWriter fills a Spool.
type SpoolWriter struct {
	sp   Spooler
	name string
	buf  *bytes.Buffer
	f    *os.File
	h    hash.Hash
	n    int64
}

// Create starts a spool for name; sizeHint (or -1) sizes the memory buffer.
func (s Spooler) Create(name string, sizeHint int64) *SpoolWriter {
	if s.MemLimit == 0 {
		s.MemLimit = DefaultSpoolMemory
	}
	w := &SpoolWriter{sp: s, name: name, h: sha256.New()}
	if sizeHint > 0 && sizeHint <= s.MemLimit {
		w.buf = bytes.NewBuffer(make([]byte, 0, sizeHint))
	} else {
		w.buf = new(bytes.Buffer)
	}
	return w
}

// Len is the number of bytes written so far.
func (w *SpoolWriter) Len() int64 { return w.n }

// spoolError marks a failure to write the spool (a full disk, say), which
// no retry of the download cures.
type spoolError struct{ error }

func (e *spoolError) Unwrap() error { return e.error }

// Write appends p, moving the bytes to a temporary file once they pass the
// memory limit.
func (w *SpoolWriter) Write(p []byte) (int, error) {
	if w.f == nil && int64(w.buf.Len()+len(p)) > w.sp.MemLimit {
		f, err := os.CreateTemp(w.sp.Dir, "flowir-spool-*")
		if err != nil {
			return 0, &spoolError{fmt.Errorf("spool %s to a temporary file: %w", w.name, err)}
		}
		w.f = f
		if _, err := f.Write(w.buf.Bytes()); err != nil {
			return 0, &spoolError{fmt.Errorf("spool %s to %s: %w", w.name, f.Name(), err)}
		}
		w.buf = nil
	}
	var err error
	if w.f != nil {
		_, err = w.f.Write(p)
		if err != nil {
			err = &spoolError{fmt.Errorf("spool %s to %s: %w", w.name, w.f.Name(), err)}
		}
	} else {
		w.buf.Write(p)
	}
	if err != nil {
		return 0, err
	}
	w.h.Write(p)
	w.n += int64(len(p))
	if w.sp.OnWrite != nil {
		w.sp.OnWrite(len(p))
	}
	return len(p), nil
}

// Finish returns the filled spool.
func (w *SpoolWriter) Finish() (*Spool, error) {
	s := &Spool{Name: w.name, Size: w.n, SHA256: hex.EncodeToString(w.h.Sum(nil))}
	if w.f != nil {
		s.path = w.f.Name()
		if err := w.f.Close(); err != nil {
			os.Remove(s.path)
			return nil, fmt.Errorf("spool %s: %w", w.name, err)
		}
		return s, nil
	}
	s.buf = w.buf.Bytes()
	return s, nil
}

// Abort discards what was written.
func (w *SpoolWriter) Abort() {
	if w.f != nil {
		w.f.Close()
		os.Remove(w.f.Name())
	}
	w.buf, w.f = nil, nil
}

// Open returns the spooled bytes.
func (s *Spool) Open() (io.ReadCloser, error) {
	if s.path != "" {
		return os.Open(s.path)
	}
	if s.buf == nil && s.Size > 0 {
		return nil, errors.New("spool already closed")
	}
	return io.NopCloser(bytes.NewReader(s.buf)), nil
}

// File returns a file holding the bytes (writing the in-memory ones to a
// temporary file first): what readers that need random access, such as
// Parquet's, take.
func (s *Spool) File(dir string) (string, error) {
	if s.path != "" {
		return s.path, nil
	}
	f, err := os.CreateTemp(dir, "flowir-spool-*")
	if err != nil {
		return "", fmt.Errorf("spool %s to a temporary file: %w", s.Name, err)
	}
	_, err = f.Write(s.buf)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("spool %s to %s: %w", s.Name, f.Name(), err)
	}
	s.path, s.buf = f.Name(), nil
	return s.path, nil
}

// Close releases the bytes (and removes the temporary file).
func (s *Spool) Close() error {
	s.buf = nil
	if s.path != "" {
		err := os.Remove(s.path)
		s.path = ""
		return err
	}
	return nil
}
