// Command decodefloor measures the floor of any ingest written in Go: it
// reads every .gz file of a folder with the same gzip reader and text decoder
// as flowir's ingest, in parallel streams, and only counts what it decodes:
// no hashing, no spooling, no storing (with -gunzip-only, it only
// decompresses). bench/ingest.sh runs it next to the igzip floor, so that
// the part of the gap to igzip that is Go's decompression and parsing, not
// DuckDB's storage, is measured.
//
//	go run ./bench/decodefloor -streams 2 DIR
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/flowir/flowir/internal/decode"
	"github.com/flowir/flowir/internal/flow"
)

func main() {
	streams := flag.Int("streams", 2, "files read in parallel")
	flag.BoolVar(&gunzipOnly, "gunzip-only", false, "decompress only, do not decode")
	flag.Parse()
	if flag.NArg() != 1 {
		fmt.Fprintln(os.Stderr, "usage: decodefloor [-streams N] DIR")
		os.Exit(2)
	}
	if err := run(flag.Arg(0), *streams); err != nil {
		fmt.Fprintln(os.Stderr, "decodefloor:", err)
		os.Exit(1)
	}
}

var gunzipOnly bool

type counts struct{ lines, records, rejects, headers int64 }

func run(dir string, streams int) error {
	var files []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".gz") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		return err
	}
	start := time.Now()
	paths := make(chan string)
	results := make(chan counts)
	errs := make(chan error, streams)
	var wg sync.WaitGroup
	for range streams {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var c counts
			for p := range paths {
				if err := decodeFile(p, &c); err != nil {
					errs <- fmt.Errorf("%s: %w", p, err)
					for range paths {
					}
					break
				}
			}
			results <- c
		}()
	}
	go func() {
		for _, p := range files {
			paths <- p
		}
		close(paths)
	}()
	go func() { wg.Wait(); close(results); close(errs) }()
	var total counts
	for c := range results {
		total.lines += c.lines
		total.records += c.records
		total.rejects += c.rejects
		total.headers += c.headers
	}
	if err := <-errs; err != nil {
		return err
	}
	fmt.Printf("decodefloor: %d files, %d lines = %d records + %d rejects + %d headers in %.2fs\n",
		len(files), total.lines, total.records, total.rejects, total.headers, time.Since(start).Seconds())
	return nil
}

func decodeFile(path string, c *counts) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	if gunzipOnly {
		_, err := io.Copy(io.Discard, zr)
		return err
	}
	tr := decode.NewTextReader(zr, flow.DefaultFormat())
	for {
		it, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		c.lines++
		switch it.Kind {
		case decode.ItemRecord:
			c.records++
		case decode.ItemReject:
			c.rejects++
		case decode.ItemHeader:
			c.headers++
		}
	}
}
