// Command s3serve serves a folder as an S3 bucket on loopback, for the S3
// ingest benchmark: every file under -dir becomes an object of bucket
// -bucket, its key the file's path relative to -dir (with -prefix in
// front). It is gofakes3 with its in-memory backend, in its own process, so
// that the server's memory is not counted in flowir's. It prints the
// endpoint URL on stdout once it serves, then runs until killed.
//
//	go run ./bench/s3serve -dir bench/out/corpus -bucket logs -prefix bench/
package main

import (
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

func main() {
	dir := flag.String("dir", "", "folder to serve")
	bucket := flag.String("bucket", "logs", "bucket name")
	prefix := flag.String("prefix", "", "key prefix in front of every path")
	addr := flag.String("addr", "127.0.0.1:0", "listen address")
	flag.Parse()
	if *dir == "" {
		fmt.Fprintln(os.Stderr, "usage: s3serve -dir DIR [-bucket B] [-prefix P] [-addr HOST:PORT]")
		os.Exit(2)
	}
	be := s3mem.New()
	if err := be.CreateBucket(*bucket); err != nil {
		fail(err)
	}
	n := 0
	var size int64
	err := filepath.Walk(*dir, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		rel, err := filepath.Rel(*dir, p)
		if err != nil {
			return err
		}
		f, err := os.Open(p)
		if err != nil {
			return err
		}
		defer f.Close()
		if _, err := be.PutObject(*bucket, *prefix+filepath.ToSlash(rel), nil, f, info.Size(), nil); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		n++
		size += info.Size()
		return nil
	})
	if err != nil {
		fail(err)
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		fail(err)
	}
	fmt.Printf("http://%s\n", ln.Addr())
	fmt.Fprintf(os.Stderr, "s3serve: %d objects, %d bytes in s3://%s/%s\n", n, size, *bucket, *prefix)
	fail(http.Serve(ln, gofakes3.New(be).Server()))
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "s3serve:", err)
	os.Exit(1)
}
