package cli

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// IOCOptions are the options of `flowir ioc`.
type IOCOptions struct {
	Files  []string
	Format string // csv, plain, stix or "" (detect)
	Detail bool
	Clear  bool
	Since  string
	Until  string
	// AllWarnings prints every warning, not the first maxWarnings per file.
	AllWarnings bool
}

// maxWarnings is how many warnings per file flowir ioc prints by default.
const maxWarnings = 20

func newIOCCmd(f *Factory, g *globalOptions, runF func(*IOCOptions) error) *cobra.Command {
	opts := &IOCOptions{}
	cmd := &cobra.Command{
		Use:   "ioc [FILE...]",
		Short: "Load IOC lists and report every flow that touches them",
		Long: fmt.Sprintf(`Load indicator-of-compromise lists into the case (table incident_iocs) and
report the traffic of every loaded indicator. With no FILE, report the
indicators loaded earlier against the flows the case holds now.

Formats (detected from the content, or --ioc-format):
  csv    the playbook's incident_iocs file: threat_ip,threat_comment; fields
         with commas in double quotes (escape " as "" or \"); an optional
         header line; lines starting with # are comments
  plain  one IP address or CIDR per line; # starts a comment (text after #
         on an entry line is its comment)
  stix   a STIX 2.1 bundle: every address or CIDR that a pattern compares
         with ipv4-addr:value or ipv6-addr:value (=, IN, ISSUBSET) and that
         alone satisfies it (reached through OR) is loaded; an address test
         that one address cannot decide (joined by AND, under FOLLOWEDBY or
         WITHIN/START/STOP/REPEATS, NOT, other operators, src_ref/dst_ref) is
         skipped with a warning saying why; domain, URL and hash indicators
         are counted as skipped, not errors. valid_from/valid_until and
         revoked are kept: nothing is dropped for them, but the summary says
         whether the indicator is expired or revoked (validity) and counts
         its records outside the validity window (outside_validity), and
         --detail rows say where each record falls (validity)
Entries are IPv4 or IPv6 addresses or networks of any prefix length. An entry
that cannot be used is reported with its file and line (and the command
exits with status 1 after loading the rest); an entry loaded with a remark
(host bits set, IPv4-mapped, defanged) is a warning, also with file and line
(the first %d per file unless --all-warnings). Loading a file twice, or two
files listing the same network, adds no duplicate.

Matching is CIDR-correct on srcaddr/dstaddr and on the packet-level
pkt_srcaddr/pkt_dstaddr (never string prefixes: 192.0.2.45 is not in
192.0.2.4): the case's distinct addresses are matched against the networks
in memory, the pairs are stored in table ioc_matches, and the view
incident_vpc_flow_directional joins them to the flows.

DIRECTION is seen from the monitored network: a flow whose destination is
the IOC is OUTBOUND, one whose source is the IOC is INBOUND, and
connecting_ip/connecting_port are the monitored host's. This is the
OPPOSITE of the labels in the playbook's Athena view, which calls a flow to
the IOC 'INBOUND'. Records matched only through pkt_srcaddr/pkt_dstaddr (a
NAT gateway's inside leg, where connecting_ip is the instance behind the
NAT) are marked in column matched_on.

The summary has one row per indicator with records (in the window, if
given); standard error says how many indicators have none, which are not
listed (a list of a million indicators is summarised by the few that match;
'flowir sql "SELECT * FROM incident_iocs"' lists every loaded one). A row
has: records whose srcaddr or dstaddr is in it (each record once), inbound and outbound records, accepted and
rejected, bytes from it (bytes_in) and to it (bytes_out), packets, first and
last seen, the internal hosts that exchanged traffic with it (NAT gateways
listed apart, in via_nat), records matched at packet level (pkt_records) and
the file:line of every listing, the indicator's validity as of now (valid,
expired, not yet valid, revoked; with its window) and outside_validity, the
records that fall outside the window; with an inventory in the case ('flowir
inventory import'), hosts_owner names each host's interface and owner
(instance and Name tag, load balancer, ...), subnet, VPC and security groups;
with 'flowir enrich' run, threat_ip gains what the case knows about it
(threat_ip_aws_service, threat_ip_asn, threat_ip_country, ...). In --detail
rows, connecting_ip and ioc_address gain the same columns.
--detail prints the view's rows instead.
--since/--until keep records overlapping the window. The view stays queryable
with 'flowir sql'; run 'flowir ioc' again after ingesting more logs to
refresh the matches.`, maxWarnings),
		Example: `  flowir ioc iocs.csv
  flowir ioc feed.stix.json blocklist.txt --format json
  flowir ioc --detail --since 2024-05-01 --format csv > ioc-rows.csv
  flowir sql "SELECT direction, count(*) FROM incident_vpc_flow_directional GROUP BY 1"`,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Files = args
			if runF != nil {
				return runF(opts)
			}
			return runIOC(cmd, f, g, opts)
		},
	}
	cmd.Flags().StringVar(&opts.Format, "ioc-format", "", "format of the files: csv, plain or stix (default: detect from the content)")
	cmd.Flags().BoolVar(&opts.Detail, "detail", false, "print every matching flow (the directional view) instead of the summary")
	cmd.Flags().BoolVar(&opts.Clear, "clear", false, "remove every indicator loaded before, then load FILE...")
	cmd.Flags().StringVar(&opts.Since, "since", "", "only records ending at or after this time")
	cmd.Flags().StringVar(&opts.Until, "until", "", "only records starting before this time")
	cmd.Flags().BoolVar(&opts.AllWarnings, "all-warnings", false, fmt.Sprintf("print every warning (entries loaded with a remark), not only the first %d per file", maxWarnings))
	return cmd
}

// timeWindow parses --since and --until into Unix seconds (0 = open).
func timeWindow(f *Factory, since, until string) (int64, int64, error) {
	s, u, err := parseWindow(f, since, until)
	if err != nil {
		return 0, 0, err
	}
	var si, ui int64
	if !s.IsZero() {
		si = s.Unix()
	}
	if !u.IsZero() {
		ui = u.Unix()
	}
	return si, ui, nil
}

// parseWindow parses --since and --until (analysis.ParseWindow), its
// errors as usage errors naming the flag.
func parseWindow(f *Factory, since, until string) (time.Time, time.Time, error) {
	s, u, err := analysis.ParseWindow(since, until, f.Now())
	var we *analysis.WindowError
	if errors.As(err, &we) {
		if we.Side == "" {
			return s, u, usagef("--until must be after --since")
		}
		return s, u, usagef("--%s: %v", we.Side, we.Err)
	}
	return s, u, err
}

func runIOC(cmd *cobra.Command, f *Factory, g *globalOptions, opts *IOCOptions) error {
	ctx := cmd.Context()
	w := f.textErr()
	switch opts.Format {
	case "", analysis.IOCFormatCSV, analysis.IOCFormatPlain, analysis.IOCFormatSTIX:
	default:
		return usagef("--ioc-format %q: use csv, plain or stix", opts.Format)
	}
	format, err := g.outputFormat()
	if err != nil {
		return err
	}
	since, until, err := timeWindow(f, opts.Since, opts.Until)
	if err != nil {
		return err
	}
	// Parse every file before touching the case.
	var files []*casework.IOCList
	invalid := 0
	for _, path := range opts.Files {
		data, err := os.ReadFile(path)
		if err != nil {
			return fmt.Errorf("read IOC file: %w", err)
		}
		pf, err := casework.ParseIOCs(path, data, opts.Format)
		if err != nil {
			return err
		}
		// Every invalid entry is listed; warnings (entries loaded with a
		// remark) up to maxWarnings per file, then counted.
		warned := 0
		for _, p := range pf.Problems {
			if p.Warning {
				warned++
				if warned > maxWarnings && !opts.AllWarnings {
					continue
				}
			}
			fmt.Fprintln(w, p.String())
		}
		if warned > maxWarnings && !opts.AllWarnings {
			fmt.Fprintf(w, "%s: %d more warnings not shown (--all-warnings shows them)\n", path, warned-maxWarnings)
		}
		invalid += pf.Invalid()
		files = append(files, pf)
	}
	c, err := openCase(ctx, f, g, store.Options{Analysis: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if opts.Clear {
		if err := c.ClearIOCs(ctx); err != nil {
			return fmt.Errorf("clear IOCs: %w", err)
		}
	}
	now := f.Now()
	for _, p := range files {
		st, err := casework.LoadIOCs(ctx, c, p, now)
		if err != nil {
			return fmt.Errorf("load %s: %w", p.Path, err)
		}
		msg := fmt.Sprintf("%s (%s): %d entries: %d new, %d already loaded", p.Path, p.Format, st.Entries, st.New, st.Known)
		if st.CommentsAdded > 0 {
			msg += fmt.Sprintf(", %d with a new comment", st.CommentsAdded)
		}
		if n := p.Invalid(); n > 0 {
			msg += fmt.Sprintf("; %d invalid (listed above)", n)
		}
		if p.Skipped > 0 {
			msg += fmt.Sprintf("; %d STIX objects skipped (no address to load)", p.Skipped)
		}
		if p.SkippedTests > 0 {
			msg += fmt.Sprintf("; %d address tests skipped (one address cannot decide them: warnings above)", p.SkippedTests)
		}
		if st.Expired > 0 {
			msg += fmt.Sprintf("; %d entries expired (valid_until passed) and loaded: see validity and outside_validity", st.Expired)
		}
		if st.Revoked > 0 {
			msg += fmt.Sprintf("; %d entries revoked and loaded marked revoked", st.Revoked)
		}
		if st.SameFile {
			msg += "; this file was loaded before"
		}
		fmt.Fprintln(w, msg)
	}

	t0 := time.Now()
	matched, err := casework.MatchIOCs(ctx, c)
	if err != nil {
		return err
	}
	if matched.Indicators == 0 {
		if invalid > 0 {
			return fmt.Errorf("no usable indicator: %d invalid entries (listed above)", invalid)
		}
		return usagef("no IOCs loaded in case %s: give one or more IOC files (flowir ioc FILE...)", c.Dir)
	}
	fmt.Fprintf(w, "matched %d indicators against the case's addresses in %s\n", matched.Indicators, time.Since(t0).Round(time.Millisecond))

	if opts.Detail {
		res, err := casework.IOCFlows(ctx, c, since, until)
		if err != nil {
			return err
		}
		out, err := enrichResult(ctx, c, format, outputResult(res), "connecting_ip", "ioc_address") // owners and enrichment (enrich_output.go)
		if err != nil {
			return err
		}
		if err := output.Write(f.IO.Out, format, out, f.IO.OutputOptions()); err != nil {
			return err
		}
	} else {
		sums, err := casework.IOCHits(ctx, c, since, until)
		if err != nil {
			return err
		}
		in := ""
		if since != 0 || until != 0 {
			in = " in the window"
		}
		fmt.Fprintf(w, "%d of %d indicators have records%s; the %d without are not listed (every loaded indicator: flowir sql 'SELECT * FROM incident_iocs')\n",
			len(sums), matched.Indicators, in, matched.Indicators-len(sums))
		out, err := enrichResult(ctx, c, format, iocSummaryResult(sums, f.Now()), "threat_ip", "hosts") // owners from the inventory (inventory.go)
		if err != nil {
			return err
		}
		if err := output.Write(f.IO.Out, format, out, f.IO.OutputOptions()); err != nil {
			return err
		}
	}
	if invalid > 0 {
		return fmt.Errorf("%d invalid IOC entries were not loaded (listed above with file and line)", invalid)
	}
	return nil
}

func iocSummaryResult(sums []store.IOCSummary, now time.Time) *output.Result {
	return iocSummaryTable(now).Result(sums)
}

// iocSummaryTable is what `ioc` prints per indicator; now decides validity.
func iocSummaryTable(now time.Time) output.Table[store.IOCSummary] {
	type S = store.IOCSummary
	list := func(ss []string) any {
		out := make([]any, len(ss))
		for i, s := range ss {
			out[i] = s
		}
		return out
	}
	tm := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return *t
	}
	const integer, ts, strs = "BIGINT", "TIMESTAMP", "VARCHAR[]"
	return output.Table[S]{
		{Name: "threat_ip", Kind: output.KindAddress, Value: func(s S) any { return s.ThreatIP }},
		{Name: "threat_comment", Kind: output.KindText, Value: func(s S) any { return s.Comment }},
		{Name: "records", Type: integer, Value: func(s S) any { return s.Records }},
		{Name: "inbound", Type: integer, Value: func(s S) any { return s.Inbound }},
		{Name: "outbound", Type: integer, Value: func(s S) any { return s.Outbound }},
		{Name: "accepted", Type: integer, Value: func(s S) any { return s.Accepted }},
		{Name: "rejected", Type: integer, Value: func(s S) any { return s.Rejected }},
		{Name: "bytes_in", Type: integer, Kind: output.KindBytes, Value: func(s S) any { return s.BytesIn }},
		{Name: "bytes_out", Type: integer, Kind: output.KindBytes, Value: func(s S) any { return s.BytesOut }},
		{Name: "packets", Type: integer, Value: func(s S) any { return s.Packets }},
		{Name: "first_seen", Type: ts, Value: func(s S) any { return tm(s.FirstSeen) }},
		{Name: "last_seen", Type: ts, Value: func(s S) any { return tm(s.LastSeen) }},
		{Name: "internal_hosts", Type: integer, Value: func(s S) any { return int64(len(s.Hosts)) }},
		{Name: "hosts", Type: strs, Value: func(s S) any { return list(s.Hosts) }},
		{Name: "via_nat", Type: strs, Value: func(s S) any { return list(s.NAT) }},
		{Name: "pkt_records", Type: integer, Value: func(s S) any { return s.PktRecords }},
		{Name: "sources", Type: strs, Value: func(s S) any { return list(s.Sources) }},
		{Name: "validity", Kind: output.KindText, Value: func(s S) any { return iocValidityText(s.ValidFrom, s.ValidUntil, s.Revoked, now) }},
		{Name: "outside_validity", Type: integer, Value: func(s S) any { return s.OutsideValidity }},
	}
}

// iocValidityText says an indicator's validity as of now, with its window:
// "valid" (no window), "valid from T", "expired at T (valid from T0)",
// "not yet valid (from T)", "revoked". Whether its hits count is a question
// about their own time: outside_validity counts those outside the window.
func iocValidityText(from, until *time.Time, revoked bool, now time.Time) string {
	ts := func(t *time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
	window := ""
	switch {
	case from != nil && until != nil:
		window = "from " + ts(from) + " until " + ts(until)
	case from != nil:
		window = "from " + ts(from)
	case until != nil:
		window = "until " + ts(until)
	}
	switch {
	case revoked && window != "":
		return "revoked (valid " + window + ")"
	case revoked:
		return "revoked"
	case until != nil && !now.Before(*until):
		return "expired (valid " + window + ")"
	case from != nil && now.Before(*from):
		return "not yet valid (valid " + window + ")"
	case window != "":
		return "valid " + window
	}
	return "valid"
}

// joinShort joins up to n strings and says how many more there are.
func joinShort(ss []string, n int) string {
	if len(ss) <= n {
		return strings.Join(ss, ", ")
	}
	return strings.Join(ss[:n], ", ") + fmt.Sprintf(" and %d more", len(ss)-n)
}
