package cli

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/enrich"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// EnrichOptions are the options of `flowir enrich`.
type EnrichOptions struct {
	GeoIPDir        string
	Resolve         bool
	ResolveTimeout  time.Duration
	ResolveDeadline time.Duration
	// Ranges is the file or URL of `flowir enrich aws-ranges` ("" for AWS's URL).
	Ranges string
}

const enrichLong = `Look up, once per distinct address of the case, who each address is, and
store the answers in the case (table enrichment, one row per value with its
source and the source's date; view address_enrichment, one row per
address), so every later command shows them offline and reproducibly:

  aws_service, aws_region, network_border_group
      from AWS's published ip-ranges.json, loaded into the case with
      'flowir enrich aws-ranges' (the most specific published network wins;
      ip-ranges.json lists many networks both under AMAZON, which covers every
      AWS range, and under the service that uses them: the specific service
      wins), and from the records' own pkt-src-aws-service and
      pkt-dst-aws-service, which win when they name a specific service
  asn, as_org, country, city
      from MaxMind-format databases in --geoip-dir (default $FLOWIR_GEOIP_DIR):
      GeoLite2/GeoIP2 ASN, Country and City, DB-IP's, and IPinfo's (asn,
      as_name, country_code / country); the first database in file-name order
      that answers a field gives it
  ptr
      reverse DNS, only with --resolve, for external addresses, each lookup
      bounded by --resolve-timeout and all of them by --resolve-deadline,
      stored with the time of the lookup

The owners of addresses inside the VPC come from the newest inventory
('flowir inventory import') and need no enrich run.

Each run recomputes the AWS labels (from the stored ranges) and, when given
databases or --resolve, the GeoIP and DNS values; values of a source not
used this time are kept. A database that is missing or damaged is an error
naming the file; the other sources are still recomputed and stored.

Then investigate (every peer and the target), detect (actor and target),
ioc, 'query NAME --enrich' and the findings show the values as extra
columns (NAME_aws_service, NAME_asn, NAME_country, ...), in every format.`

func newEnrichCmd(f *Factory, g *globalOptions, runF func(*EnrichOptions) error) *cobra.Command {
	opts := &EnrichOptions{}
	cmd := &cobra.Command{
		Use:   "enrich",
		Short: "Look up who each address is (AWS service and Region, AS, country, reverse DNS) and store it in the case",
		Long:  enrichLong,
		Example: `  flowir enrich aws-ranges ip-ranges.json
  flowir enrich --geoip-dir ~/geoip
  FLOWIR_GEOIP_DIR=~/geoip flowir enrich --resolve
  flowir enrich show 203.0.113.200`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return runEnrich(cmd.Context(), f, g, opts, false)
		},
	}
	bindEnrichFlags(cmd, opts)
	ranges := &cobra.Command{
		Use:   "aws-ranges [FILE|URL]",
		Short: "Load AWS's ip-ranges.json into the case and label the addresses with AWS service and Region",
		Long: `Load AWS's published address ranges (ip-ranges.json) into the case, then
label every address of the case that they contain with aws_service,
aws_region and network_border_group (see 'flowir enrich --help').

FILE is a downloaded copy; a URL (http:// or https://) is fetched; with no
argument the file is fetched from ` + enrich.AWSRangesURL + `.
The document is kept whole in the case (table aws_ranges), with its
syncToken and createDate: every label it gives carries that date, and a
later 'flowir enrich' relabels newly ingested addresses without the
network. Loading another file replaces the labels.`,
		Example: `  curl -O ` + enrich.AWSRangesURL + `; flowir enrich aws-ranges ip-ranges.json
  flowir enrich aws-ranges`,
		Args: cobra.MaximumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if len(args) == 1 {
				opts.Ranges = args[0]
			}
			if runF != nil {
				return runF(opts)
			}
			return runEnrich(cmd.Context(), f, g, opts, true)
		},
	}
	bindEnrichFlags(ranges, opts)
	show := &cobra.Command{
		Use:   "show [ADDRESS...]",
		Short: "Print the stored enrichment values with their sources and dates",
		Long: `Print the stored values (table enrichment): address, field, value, kind of
source, source and the source's date, for the given addresses or all.`,
		RunE: func(cmd *cobra.Command, args []string) error {
			return runEnrichShow(cmd.Context(), f, g, args)
		},
	}
	cmd.AddCommand(ranges, show)
	return cmd
}

func bindEnrichFlags(cmd *cobra.Command, opts *EnrichOptions) {
	fl := cmd.Flags()
	fl.StringVar(&opts.GeoIPDir, "geoip-dir", "", "directory of MaxMind-format .mmdb databases (default $"+enrich.GeoIPEnv+")")
	fl.BoolVar(&opts.Resolve, "resolve", false, "also look up reverse DNS names of external addresses (off by default: it sends the addresses to your resolver)")
	fl.DurationVar(&opts.ResolveTimeout, "resolve-timeout", 2*time.Second, "deadline of one reverse DNS lookup")
	fl.DurationVar(&opts.ResolveDeadline, "resolve-deadline", 2*time.Minute, "deadline of all reverse DNS lookups")
}

// runEnrich (re)computes the enrichment of the case; loadRanges first loads
// an ip-ranges.json (opts.Ranges, else AWS's URL).
func runEnrich(ctx context.Context, f *Factory, g *globalOptions, opts *EnrichOptions, loadRanges bool) error {
	w := f.textErr()
	if opts.Resolve && (opts.ResolveTimeout <= 0 || opts.ResolveDeadline <= 0) {
		return usagef("--resolve-timeout and --resolve-deadline must be positive")
	}
	// Read the ranges before touching the case.
	var ranges *enrich.AWSRanges
	var doc []byte
	if loadRanges {
		var err error
		ranges, doc, err = readAWSRanges(ctx, opts)
		if err != nil {
			return err
		}
	}
	c, err := openCase(ctx, f, g, store.Options{Analysis: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if ranges != nil {
		if err := c.SaveAWSRanges(ctx, store.AWSRangesDoc{Origin: ranges.Origin, SHA256: ranges.SHA256, SyncToken: ranges.SyncToken,
			CreateDate: ranges.CreateDate, Prefixes: len(ranges.Prefixes), Document: doc}); err != nil {
			return fmt.Errorf("store the AWS ranges: %w", err)
		}
		fmt.Fprintf(w, "AWS ranges: %s: %d prefixes, syncToken %s, createDate %s (sha256 %s)\n", ranges.Origin, len(ranges.Prefixes),
			ranges.SyncToken, ranges.CreateDate.Format(time.RFC3339), ranges.SHA256[:16])
	} else if stored, err := c.LatestAWSRanges(ctx); err != nil {
		return err
	} else if stored != nil {
		if ranges, err = enrich.ParseAWSRanges(stored.Origin, stored.Document); err != nil {
			return fmt.Errorf("the case's stored AWS ranges: %w", err)
		}
	}

	addrs, err := casework.CaseAddresses(ctx, c)
	if err != nil {
		return err
	}
	var problems []error
	kinds := []string{enrich.KindFlowRecords}
	fs, err := c.FlowAWSServices(ctx)
	if err != nil {
		return err
	}
	rs := make([]enrich.RecordService, len(fs))
	for i, x := range fs {
		rs[i] = enrich.RecordService(x)
	}
	values := enrich.RecordValues(rs)
	fmt.Fprintf(w, "records: %d addresses named by pkt-src-aws-service/pkt-dst-aws-service\n", len(values))
	if ranges != nil {
		kinds = append(kinds, enrich.KindAWSRanges)
		av := enrich.AWSValues(ranges, addrs)
		values = append(values, av...)
		fmt.Fprintf(w, "AWS ranges (createDate %s): %d of %d addresses are in AWS's published ranges\n",
			ranges.CreateDate.Format(time.RFC3339), countAddresses(av), len(addrs))
	} else {
		fmt.Fprintln(w, "AWS ranges: none loaded ('flowir enrich aws-ranges [FILE]' loads AWS's ip-ranges.json)")
	}

	dir := opts.GeoIPDir
	if dir == "" {
		dir = f.Getenv(enrich.GeoIPEnv)
	}
	if dir != "" {
		gv, err := geoValues(dir, addrs)
		if err != nil {
			problems = append(problems, err)
			fmt.Fprintf(w, "GeoIP: %v; the GeoIP values stored before are kept\n", err)
		} else {
			kinds = append(kinds, enrich.KindGeoIP)
			values = append(values, gv...)
			fmt.Fprintf(w, "GeoIP (%s): %d of %d addresses found\n", dir, countAddresses(gv), len(addrs))
		}
	} else {
		fmt.Fprintf(w, "GeoIP: no --geoip-dir and no $%s: the GeoIP values stored before (if any) are kept\n", enrich.GeoIPEnv)
	}

	if opts.Resolve {
		ext, err := externalAddresses(ctx, c, addrs)
		if err != nil {
			return err
		}
		r := &enrich.Resolver{R: f.Resolver, PerLookup: opts.ResolveTimeout, Overall: opts.ResolveDeadline, Now: f.Now}
		ptrs, st := r.Reverse(ctx, ext)
		if err := ctx.Err(); err != nil {
			return err
		}
		kinds = append(kinds, enrich.KindDNS)
		values = append(values, enrich.DNSValues(ptrs, "system resolver")...)
		fmt.Fprintf(w, "reverse DNS: %d external addresses: %d named, %d without a name, %d timed out, %d failed, %d not tried (--resolve-deadline)\n",
			len(ext), st.Answered, st.NotFound, st.TimedOut, st.Failed, st.NotTried)
	}

	rows := make([]store.EnrichmentRow, len(values))
	for i, v := range values {
		rows[i] = store.EnrichmentRow{Address: v.Address, Field: v.Field, Value: v.Value, Kind: v.Kind, Source: v.Source, SourceDate: v.SourceDate}
	}
	if err := c.ReplaceEnrichment(ctx, kinds, rows); err != nil {
		return fmt.Errorf("store the enrichment: %w", err)
	}
	fmt.Fprintf(w, "stored %d values (%s) for the case's %d addresses\n", len(rows), strings.Join(kinds, ", "), len(addrs))
	return errors.Join(problems...)
}

// readAWSRanges reads opts.Ranges: a URL is fetched, anything else is a file.
func readAWSRanges(ctx context.Context, opts *EnrichOptions) (*enrich.AWSRanges, []byte, error) {
	src := opts.Ranges
	if src == "" || strings.HasPrefix(src, "https://") || strings.HasPrefix(src, "http://") {
		return enrich.FetchAWSRanges(ctx, &http.Client{Timeout: 60 * time.Second}, src)
	}
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, nil, fmt.Errorf("read AWS ranges: %w", err)
	}
	r, err := enrich.ParseAWSRanges(src, data)
	return r, data, err
}

// geoValues looks the addresses up in the databases of dir.
func geoValues(dir string, addrs []string) ([]enrich.Value, error) {
	geo, err := enrich.OpenGeoIP(dir)
	if err != nil {
		return nil, err
	}
	defer geo.Close()
	return enrich.GeoValues(geo, addrs)
}

// externalAddresses keeps the addresses outside the private ranges, the
// inventory's VPC CIDRs and its interfaces: reverse DNS is asked only of
// those.
func externalAddresses(ctx context.Context, c *store.Case, addrs []string) ([]string, error) {
	vpcs, err := casework.VPCInternal(ctx, c)
	if err != nil {
		return nil, err
	}
	owners, err := c.InterfaceOwners(ctx)
	if err != nil {
		return nil, err
	}
	own := enrich.NewOwners(owners)
	class := analysis.NewNetClass(append(analysis.DefaultInternal(), vpcs...))
	var out []string
	for _, a := range addrs {
		if _, mine := own.Of(a); !mine && !class.InternalText(a) {
			out = append(out, a)
		}
	}
	return out, nil
}

func countAddresses(vs []enrich.Value) int {
	seen := map[string]bool{}
	for _, v := range vs {
		seen[v.Address] = true
	}
	return len(seen)
}

func runEnrichShow(ctx context.Context, f *Factory, g *globalOptions, addrs []string) error {
	format, c, err := readCase(ctx, f, g)
	if err != nil {
		return err
	}
	defer c.Close()
	rows, err := c.Enrichment(ctx)
	if err != nil {
		return err
	}
	want := map[string]bool{}
	for _, a := range addrs {
		p, err := analysis.ParseCIDROrAddr(a)
		if err != nil || !p.IsSingleIP() {
			return usagef("show: %q is not an IP address", a)
		}
		want[p.Addr().String()] = true
	}
	res := &output.Result{Columns: []output.Column{{Name: "address"}, {Name: "field"}, {Name: "value"}, {Name: "kind"}, {Name: "source"},
		{Name: "source_date", Type: "TIMESTAMP"}, {Name: "computed_at", Type: "TIMESTAMP"}}}
	for _, r := range rows {
		if len(want) > 0 && !want[enrich.Key(r.Address)] {
			continue
		}
		var sd any
		if !r.SourceDate.IsZero() {
			sd = r.SourceDate
		}
		res.Rows = append(res.Rows, []any{r.Address, r.Field, r.Value, r.Kind, r.Source, sd, r.ComputedAt})
	}
	return output.Write(f.IO.Out, format, res, f.IO.OutputOptions())
}
