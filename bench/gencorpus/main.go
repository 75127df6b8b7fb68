// Command gencorpus writes the synthetic benchmark corpus: flowir's demo
// generator (internal/demo) at benchmark size, three accounts in mixed
// formats (AWS's default, a custom v5 order with bytes before packets, every
// v8 field) and S3 layouts, gzip-compressed as AWS delivers them.
//
//	go run ./bench/gencorpus -records 10000000 -out bench/out/corpus
package main

import (
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/flowir/flowir/internal/demo"
)

func main() {
	records := flag.Int("records", 10_000_000, "approximate number of flow records")
	out := flag.String("out", "", "output directory (must not hold a corpus yet)")
	seed := flag.Uint64("seed", 1, "random seed")
	flag.Parse()
	if *out == "" {
		fmt.Fprintln(os.Stderr, "usage: gencorpus -out DIR [-records N] [-seed S]")
		os.Exit(2)
	}
	start := time.Now()
	t, err := demo.Generate(demo.Config{Dir: *out, Seed: *seed, Records: *records})
	if err != nil {
		fmt.Fprintln(os.Stderr, "gencorpus:", err)
		os.Exit(1)
	}
	fmt.Printf("gencorpus: %d records in %d files in %.1fs\n", t.Records, t.Files, time.Since(start).Seconds())
}
