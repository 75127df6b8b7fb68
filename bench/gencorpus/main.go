// Command gencorpus writes a synthetic benchmark corpus, gzip-compressed as
// AWS delivers it, with one of two independent generators:
//
//   - demo (default): flowir's demo generator (internal/demo) at benchmark
//     size, three accounts in mixed formats (AWS's default, a custom v5
//     order with bytes before packets, every v8 field) and S3 layouts.
//
//   - netsim: the realistic background of internal/netsim (four accounts:
//     a web application, a corporate network, a data platform and a
//     development VPC, each with its own format) with planted incidents;
//     its truth.json is what bench/detect scores findings against.
//
//     go run ./bench/gencorpus -records 10000000 -out bench/out/corpus
//     go run ./bench/gencorpus -generator netsim -records 1000000 -out /tmp/n1m
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/netsim"
)

func main() {
	records := flag.Int("records", 10_000_000, "approximate number of flow records")
	out := flag.String("out", "", "output directory (must not hold a corpus yet)")
	seed := flag.Uint64("seed", 1, "random seed")
	generator := flag.String("generator", "demo", "demo or netsim")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gencorpus -out DIR [-records N] [-seed S] [-generator demo|netsim]")
		os.Exit(2)
	}
	start := time.Now()
	var n int64
	var files int64
	switch *generator {
	case "demo":
		t, err := demo.Generate(demo.Config{Dir: *out, Seed: *seed, Records: *records})
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		n, files = t.Records, t.Files
	case "netsim":
		t, err := netsim.Generate(netsim.Config{Dir: *out, Seed: *seed, Records: *records})
		if err != nil {
			fmt.Fprintln(os.Stderr, "gencorpus:", err)
			os.Exit(1)
		}
		n, files = t.Records, int64(t.Files)
	default:
		fmt.Fprintf(os.Stderr, "gencorpus: unknown generator %q (demo or netsim)\n", *generator)
		os.Exit(2)
	}
	fmt.Printf("gencorpus: %d records in %d files in %.1fs\n", n, files, time.Since(start).Seconds())
}
