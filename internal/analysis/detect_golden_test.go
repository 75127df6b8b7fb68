package analysis

import (
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is an Engine that runs nothing: it records the statements and
// returns no rows, so that the SQL the rules send can be compared with a
// golden file (go test ./internal/analysis -run Golden -update rewrites it).
type recorder struct{ log strings.Builder }

func (r *recorder) QueryRows(_ context.Context, q string, args ...any) ([][]any, error) {
	fmt.Fprintf(&r.log, "-- query (%d bound arguments)\n%s;\n\n", len(args), q)
	if q == DistinctAddressesSQL {
		return [][]any{{"10.0.1.5"}, {"203.0.113.66"}}, nil
	}
	return nil, nil
}

func (r *recorder) LoadAddressTable(_ context.Context, name string, addrs, tags []string) error {
	fmt.Fprintf(&r.log, "-- load %s: %d addresses\n\n", name, len(addrs))
	return nil
}

func (r *recorder) Exec(_ context.Context, q string, args ...any) error {
	fmt.Fprintf(&r.log, "-- exec\n%s;\n\n", q)
	return nil
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (run with -update after checking the change):\n%s", name, got)
	}
}

// TestDetectQueriesGolden pins the SQL every rule sends for a fixed
// configuration: a time window, a NAT address and one IOC entry.
func TestDetectQueriesGolden(t *testing.T) {
	cfg := NewDetectConfig()
	cfg.Since, cfg.Until = 1795000000, 1795086400
	cfg.IOCs = []IOCRef{{Key: "203.0.113.0/24", ThreatIP: "203.0.113.0/24", Comment: "C2"}}
	cfg.NAT = []netip.Addr{netip.MustParseAddr("10.0.0.220")}
	var r recorder
	if _, err := Detect(context.Background(), &r, cfg); err != nil {
		t.Fatal(err)
	}
	golden(t, "detect-queries.golden.sql", r.log.String())
}

// TestDetectRulesGolden pins the rules' documentation and defaults.
func TestDetectRulesGolden(t *testing.T) {
	var b strings.Builder
	for _, r := range Rules() {
		fmt.Fprintf(&b, "%s (%s, %s): %s\n%s\n", r.Name, r.Technique, r.Severity, r.Title, r.Doc)
		for _, p := range r.Thresholds {
			fmt.Fprintf(&b, "  %s = %s (%s, %s): %s\n", p.Name, FormatThreshold(p.Kind, p.Default), p.Kind, p.Range(), p.Doc)
		}
		b.WriteString("\n")
	}
	golden(t, "detect-rules.golden.txt", b.String())
}
