package source

import (
	"bufio"
	"bytes"
	"context"
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
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"
)

// File is one local file found for ingest.
type File struct {
	// Path is the file as found: the argument itself, or a folder argument
	// joined with the names below it (through any symbolic links).
	Path string
	// Canonical is the file's location: absolute, cleaned, symbolic links
	// resolved (see Canonical). Two paths naming one file have one
	// Canonical, which is what identifies a local source in the case.
	Canonical string
	// Stamp is what the file system said of the file when it was found.
	Stamp Stamp
}

// Skip is something a folder walk did not read, and why (a symbolic link
// that leads nowhere or back to a folder above it, a named pipe, a
// device): listed in the summary so that nothing is passed over unsaid.
type Skip struct {
	Path   string `json:"path"`
	Reason string `json:"reason"`
}

// Walk expands the user's paths into the files to ingest, in a stable order:
// a file argument is taken as given (whatever its name); a folder is walked
// recursively and contributes the files whose names look like flow log
// deliveries (see LooksLikeLog). Symbolic links are followed, to files and
// to folders (a tree made by `aws s3 sync` or assembled from links reads as
// the files it shows); a link that leads back to a folder above it (a loop),
// a link to nothing, and anything that is not a regular file or a folder (a
// named pipe, a device, a socket) are not read and are returned in skipped
// with the reason. A folder reached twice through links is read once. Hidden
// files and folders are skipped. The names passed over in folders are
// returned in ignored, so the summary can say what was not read.
//
// An argument that is not a regular file or a folder is an error, so that
// `flowir ingest /dev/zero` or a named pipe is refused before anything is
// read: such a stream would be read twice (hashed, then decoded), or never
// end. Standard input, read once, is given as "-" (see package ingest).
func Walk(paths []string) (files []File, ignored []string, skipped []Skip, err error) {
	w := &walker{visited: map[fileKey]string{}}
	seen := map[string]bool{}
	add := func(f File) {
		if !seen[f.Canonical] {
			seen[f.Canonical] = true
			files = append(files, f)
		}
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			return nil, nil, nil, statError(p, err)
		}
		switch {
		case st.Mode().IsRegular():
			c, err := Canonical(p)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			add(File{Path: p, Canonical: c, Stamp: StampOf(st)})
		case st.IsDir():
			canon, err := Canonical(p)
			if err != nil {
				return nil, nil, nil, fmt.Errorf("%s: %w", p, err)
			}
			w.found = w.found[:0]
			if err := w.dir(p, canon, st, map[fileKey]string{}); err != nil {
				return nil, nil, nil, err
			}
			sort.Slice(w.found, func(i, j int) bool { return w.found[i].Path < w.found[j].Path })
			for _, f := range w.found {
				add(f)
			}
		default:
			return nil, nil, nil, fmt.Errorf("%s is %s, not a file or folder: flowir reads regular files and folders (a stream would have to be read twice, or never ends); to read a stream, pipe it to standard input and give - as the source: flowir ingest - < FILE", p, kindOf(st.Mode()))
		}
	}
	return files, w.ignored, w.skipped, nil
}

// statError explains why a path given on the command line cannot be read.
func statError(p string, err error) error {
	if lst, lerr := os.Lstat(p); lerr == nil && lst.Mode()&fs.ModeSymlink != 0 {
		target, _ := os.Readlink(p)
		return fmt.Errorf("%s is a symbolic link to %s, which cannot be followed: %w", p, target, unwrapPathError(err))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("%s: no such file or folder", p)
	}
	return fmt.Errorf("%s: %w", p, unwrapPathError(err))
}

func unwrapPathError(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// kindOf names a file mode that is neither a regular file nor a folder.
func kindOf(m fs.FileMode) string {
	switch {
	case m&fs.ModeNamedPipe != 0:
		return "a named pipe (FIFO)"
	case m&fs.ModeCharDevice != 0:
		return "a character device"
	case m&fs.ModeDevice != 0:
		return "a block device"
	case m&fs.ModeSocket != 0:
		return "a socket"
	case m&fs.ModeIrregular != 0:
		return "an irregular file"
	}
	return "not a regular file"
}

type walker struct {
	found   []File
	ignored []string
	skipped []Skip
	// visited maps every folder read to the path it was read under, so
	// that a folder reached again through a link is read once.
	visited map[fileKey]string
}

// dir reads the folder at path (canon is its canonical location, st what
// Stat said of it); ancestors are the folders above it on this walk, by
// identity, which is how a link back up (a loop) is recognised.
func (w *walker) dir(path, canon string, st fs.FileInfo, ancestors map[fileKey]string) error {
	key, keyed := keyOf(st, canon)
	if keyed {
		if a, ok := ancestors[key]; ok {
			w.skipped = append(w.skipped, Skip{Path: path, Reason: "a symbolic link back to " + a + ", a folder above it (a loop): not followed"})
			return nil
		}
		if v, ok := w.visited[key]; ok {
			w.skipped = append(w.skipped, Skip{Path: path, Reason: "the same folder as " + v + " (through a symbolic link): read once, there"})
			return nil
		}
		w.visited[key] = path
		ancestors[key] = path
		defer delete(ancestors, key)
	}
	entries, err := os.ReadDir(path)
	if err != nil {
		return fmt.Errorf("read folder %s: %w", path, unwrapPathError(err))
	}
	for _, e := range entries {
		name := e.Name()
		if strings.HasPrefix(name, ".") {
			continue
		}
		p := filepath.Join(path, name)
		c := filepath.Join(canon, name)
		mode := e.Type()
		var info fs.FileInfo
		if mode&fs.ModeSymlink != 0 {
			target, _ := os.Readlink(p)
			if info, err = os.Stat(p); err != nil {
				w.skipped = append(w.skipped, Skip{Path: p, Reason: fmt.Sprintf("a symbolic link to %s, which cannot be followed (%v)", target, unwrapPathError(err))})
				continue
			}
			if c, err = filepath.EvalSymlinks(p); err != nil {
				w.skipped = append(w.skipped, Skip{Path: p, Reason: fmt.Sprintf("a symbolic link to %s, which cannot be followed (%v)", target, unwrapPathError(err))})
				continue
			}
			mode = info.Mode().Type()
		}
		switch {
		case mode.IsDir():
			if info == nil {
				if info, err = e.Info(); err != nil {
					return fmt.Errorf("read folder %s: %w", p, unwrapPathError(err))
				}
			}
			if err := w.dir(p, c, info, ancestors); err != nil {
				return err
			}
		case mode.IsRegular():
			if !LooksLikeLog(name) {
				w.ignored = append(w.ignored, p)
				continue
			}
			if info == nil {
				if info, err = e.Info(); err != nil {
					if errors.Is(err, fs.ErrNotExist) {
						continue // removed since the folder was read: as if never there
					}
					return fmt.Errorf("read folder %s: %w", p, unwrapPathError(err))
				}
			}
			w.found = append(w.found, File{Path: p, Canonical: c, Stamp: StampOf(info)})
		default:
			w.skipped = append(w.skipped, Skip{Path: p, Reason: kindOf(mode) + ", not a file: not read"})
		}
	}
	return nil
}

// Canonical returns a local path's location: absolute, cleaned, with
// symbolic links resolved, so that "dl1/x.log.gz", "./dl1/x.log.gz", the
// absolute path and a path through a linked folder are one location. A path
// that does not exist (a source recorded in the case whose file has moved
// since) is made absolute and cleaned as far as it can be: the links of the
// folders above it that still exist are resolved.
func Canonical(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	if c, err := filepath.EvalSymlinks(abs); err == nil {
		return c, nil
	}
	// Resolve the longest existing parent.
	dir, rest := abs, ""
	for {
		parent := filepath.Dir(dir)
		if parent == dir {
			return abs, nil
		}
		rest = filepath.Join(filepath.Base(dir), rest)
		dir = parent
		if c, err := filepath.EvalSymlinks(dir); err == nil {
			return filepath.Join(c, rest), nil
		}
	}
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

// Stamp is what the file system says of a file at one moment: its size,
// modification time and identity (device and inode). Comparing the stamp
// taken when a file was found, opened and read to the end tells whether it
// changed in between (grew, was rewritten, or was replaced by another file
// under the same name, as `aws s3 sync` does while it runs).
type Stamp struct {
	Size    int64
	ModTime time.Time
	key     fileKey
	keyed   bool
}

// StampOf returns the stamp of a file's FileInfo.
func StampOf(fi fs.FileInfo) Stamp {
	s := Stamp{Size: fi.Size(), ModTime: fi.ModTime()}
	s.key, s.keyed = keyOf(fi, "")
	return s
}

// Same reports whether two stamps describe the same, unchanged file.
func (s Stamp) Same(o Stamp) bool {
	return s.Size == o.Size && s.ModTime.Equal(o.ModTime) && s.keyed == o.keyed && s.key == o.key
}

// ErrChanged marks a file that changed while flowir read it.
var ErrChanged = errors.New("the file changed while it was read")

// ChangedError says how a file changed between two stamps.
func ChangedError(path string, before, after Stamp) error {
	var what []string
	if before.keyed && after.keyed && before.key != after.key {
		what = append(what, "it was replaced by another file")
	}
	if before.Size != after.Size {
		what = append(what, fmt.Sprintf("its size went from %d to %d bytes", before.Size, after.Size))
	}
	if !before.ModTime.Equal(after.ModTime) {
		what = append(what, fmt.Sprintf("its modification time went from %s to %s", before.ModTime.UTC().Format(time.RFC3339Nano), after.ModTime.UTC().Format(time.RFC3339Nano)))
	}
	if len(what) == 0 {
		what = append(what, "its content is not what it was")
	}
	return fmt.Errorf("%s: %w (%s): is a copy or sync still writing it? Run the ingest again once it is complete", path, ErrChanged, strings.Join(what, ", "))
}

// OpenFile opens a local file for reading, refusing anything but a regular
// file. It opens without blocking, so that a path replaced by a named pipe
// after it was found cannot hang the ingest in open(2), and returns the
// file's stamp as of the open.
func OpenFile(path string) (*os.File, Stamp, error) {
	f, err := openNonblock(path)
	if err != nil {
		return nil, Stamp{}, err
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, Stamp{}, err
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, Stamp{}, fmt.Errorf("%s is %s, not a regular file: not read", path, kindOf(st.Mode()))
	}
	return f, StampOf(st), nil
}

// HashFile returns the hex SHA-256 of a regular file's bytes as stored and
// the file's stamp. A file that changes while it is hashed gives
// ErrChanged. It stops when ctx is done.
func HashFile(ctx context.Context, path string) (string, Stamp, error) {
	f, st, err := OpenFile(path)
	if err != nil {
		return "", Stamp{}, err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := CopyContext(ctx, h, f); err != nil {
		if ctx.Err() != nil {
			return "", Stamp{}, ctx.Err()
		}
		return "", Stamp{}, fmt.Errorf("read %s: %w", path, unwrapPathError(err))
	}
	after, err := f.Stat()
	if err != nil {
		return "", Stamp{}, err
	}
	if a := StampOf(after); !a.Same(st) {
		return "", Stamp{}, ChangedError(path, st, a)
	}
	return hex.EncodeToString(h.Sum(nil)), st, nil
}

// copyBuffers are CopyContext's buffers: thousands of small files are
// hashed in a run, and a fresh buffer for each would be most of the work.
var copyBuffers = sync.Pool{New: func() any { b := make([]byte, 256<<10); return &b }}

// CopyContext copies src to dst like io.Copy, checking ctx between blocks
// of 256 KiB, so that hashing or spooling a large file stops promptly when
// the ingest is interrupted.
func CopyContext(ctx context.Context, dst io.Writer, src io.Reader) (int64, error) {
	bp := copyBuffers.Get().(*[]byte)
	defer copyBuffers.Put(bp)
	buf := *bp
	var n int64
	for {
		if err := ctx.Err(); err != nil {
			return n, err
		}
		m, err := io.ReadFull(src, buf)
		if m > 0 {
			if _, werr := dst.Write(buf[:m]); werr != nil {
				return n, werr
			}
			n += int64(m)
		}
		switch err {
		case nil:
		case io.EOF, io.ErrUnexpectedEOF:
			return n, nil
		default:
			return n, err
		}
	}
}

// Container is how a file's bytes are packed.
type Container string

// Containers flowir recognises by their first bytes.
const (
	Gzip    Container = "gzip"
	Plain   Container = "text"
	Parquet Container = "parquet"
	Zstd    Container = "zstd"
	Bzip2   Container = "bzip2"
	Zip     Container = "zip"
)

// Sniff identifies the container from the first bytes of a stream. Text is
// anything else: a NUL byte makes its line a reject wherever it is (issue
// 17.8: one NUL in the first 8 KiB refused a whole file of good records,
// where one later was a reject), and a binary file, whose lines are all
// rejects, fails as any source without a record does.
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
// are read. Parquet and the other containers Sniff recognises are refused
// with a message that says so; the caller decides what to do with them.
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
	default:
		r.Close()
		return nil, fmt.Errorf("%s: %s file: %w (flowir reads gzip or plain text flow logs here)", name, o.Container, ErrUnsupported)
	}
	return o, nil
}
