package source

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/gzip"
)

// File is one local file found for ingest.
type File struct {
	Path string
	Size int64
}

// Walk expands the user's paths into the files to ingest, in a stable order:
// a file argument is taken as given (whatever its name); a folder is walked
// recursively and contributes the files whose names look like flow log
// deliveries (see LooksLikeLog). Hidden files and folders are skipped. The
// names passed over in folders are returned in ignored, so the summary can say
// what was not read.
func Walk(paths []string) (files []File, ignored []string, err error) {
	seen := map[string]bool{}
	add := func(p string, size int64) {
		if !seen[p] {
			seen[p] = true
			files = append(files, File{Path: p, Size: size})
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) {
				return nil, nil, fmt.Errorf("%s: no such file or folder", p)
			}
			return nil, nil, fmt.Errorf("%s: %w", p, err)
		}
		if !st.IsDir() {
			add(p, st.Size())
			continue
		}
		var found []File
		err = filepath.WalkDir(p, func(path string, d fs.DirEntry, err error) error {
			if err != nil {
				return fmt.Errorf("read folder %s: %w", path, err)
			}
			name := d.Name()
			if path != p && strings.HasPrefix(name, ".") {
				if d.IsDir() {
					return filepath.SkipDir
				}
				return nil
			}
			if d.IsDir() || !d.Type().IsRegular() {
				return nil
			}
			if !LooksLikeLog(name) {
				ignored = append(ignored, path)
				return nil
			}
			info, err := d.Info()
			if err != nil {
				return err
			}
			found = append(found, File{Path: path, Size: info.Size()})
			return nil
		})
		if err != nil {
			return nil, nil, err
		}
		sort.Slice(found, func(i, j int) bool { return found[i].Path < found[j].Path })
		for _, f := range found {
			add(f.Path, f.Size)
		}
	}
	return files, ignored, nil
}

// LooksLikeLog reports whether a file name found in a folder is one flowir
// reads: AWS's `.log.gz` deliveries and other `.gz` and `.log` files, Parquet
// (`.log.parquet`, `.parquet`) and JSON lines (`.jsonl`, `.ndjson`). Other
// files in a folder (notes, IOC lists, `.txt` exports, `.json` documents)
// are passed over and listed as ignored; name such a file on the command
// line to read it.
func LooksLikeLog(name string) bool {
	n := strings.ToLower(name)
	for _, ext := range []string{".log", ".gz", ".parquet", ".jsonl", ".ndjson"} {
		if strings.HasSuffix(n, ext) {
			return true
		}
	}
	return false
}

// HashFile returns the hex SHA-256 of a file's bytes as stored.
func HashFile(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", fmt.Errorf("read %s: %w", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// Container is how a file's bytes are packed.
type Container string

// Containers flowir recognises by their first bytes.
const (
	Gzip    Container = "gzip"
	Plain   Container = "text"
	Parquet Container = "parquet"
	Binary  Container = "binary"
	Zstd    Container = "zstd"
	Bzip2   Container = "bzip2"
	Zip     Container = "zip"
)

// Sniff identifies the container from the first bytes of a stream. Text is
// anything without NUL bytes in its first block.
func Sniff(head []byte) Container {
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}):
		return Gzip
	case bytes.HasPrefix(head, []byte("PAR1")):
		return Parquet
	case bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return Zstd
	case bytes.HasPrefix(head, []byte("BZh")):
		return Bzip2
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return Zip
	case bytes.IndexByte(head, 0) >= 0:
		return Binary
	}
	return Plain
}

// Opened is a decompressed stream ready for a decoder.
type Opened struct {
	io.Reader
	Container Container
	closers   []io.Closer
}

// Close releases the stream.
func (o *Opened) Close() error {
	var err error
	for i := len(o.closers) - 1; i >= 0; i-- {
		if cerr := o.closers[i].Close(); err == nil {
			err = cerr
		}
	}
	return err
}

// ErrUnsupported marks containers flowir recognises but does not read as text.
var ErrUnsupported = errors.New("unsupported container")

// Open opens r (named name in messages) and returns its decompressed bytes.
// A gzip file may hold several members, as concatenated deliveries do; all
// are read. Parquet and other binary containers are refused with a message
// that says so; the caller decides what to do with them.
func Open(name string, r io.ReadCloser) (*Opened, error) {
	br := bufio.NewReaderSize(r, 256<<10)
	head, err := br.Peek(8192)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		r.Close()
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	o := &Opened{Container: Sniff(head), closers: []io.Closer{r}}
	switch o.Container {
	case Gzip:
		zr, err := gzip.NewReader(br)
		if err != nil {
			r.Close()
			return nil, fmt.Errorf("%s: not a readable gzip file: %w", name, err)
		}
		o.Reader = zr
		o.closers = append(o.closers, zr)
	case Plain:
		o.Reader = br
	case Binary:
		r.Close()
		return nil, fmt.Errorf("%s: binary content (NUL bytes in the first 8 KiB), not a flow log text file: %w", name, ErrUnsupported)
	default:
		r.Close()
		return nil, fmt.Errorf("%s: %s file: %w (flowir reads gzip or plain text flow logs here)", name, o.Container, ErrUnsupported)
	}
	return o, nil
}
