package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/flowir/flowir/internal/casework"
	"github.com/flowir/flowir/internal/enrich"
	"github.com/flowir/flowir/internal/flow"
	"github.com/flowir/flowir/internal/output"
	"github.com/flowir/flowir/internal/store"
)

// enrichResult adds, after each named address column (a text or a list of
// addresses), the columns of what the case knows about those addresses:
// NAME_owner (the inventory's interface and owner) and NAME_aws_service,
// NAME_aws_region, NAME_network_border_group, NAME_asn, NAME_as_org,
// NAME_country, NAME_city, NAME_ptr for the fields the case has values of
// ('flowir enrich'). A table on a terminal gets one NAME_whois column in
// place of the field columns, so it stays readable. A case that knows
// nothing gets the result unchanged.
func enrichResult(ctx context.Context, c *store.Case, format output.Format, res *output.Result, cols ...string) (*output.Result, error) {
	t, err := casework.Enrichment(ctx, c)
	if err != nil || t == nil {
		return res, err
	}
	return enrichWith(t, format == output.FormatTable, res, cols...), nil
}

// whoisField names enrichWith's compact column: every field in one text.
const whoisField = "whois"

// enrichColumns are the columns enrichWith adds after an address column:
// the owner (with an inventory), then the fields the table has values of,
// or with compact one whois column.
func enrichColumns(t *enrich.Table, compact bool) []output.Column {
	var out []output.Column
	if t.Owners() != nil {
		out = append(out, output.Column{Name: "owner"})
	}
	if compact && len(t.Fields()) > 0 {
		return append(out, output.Column{Name: whoisField})
	}
	for _, f := range t.Fields() {
		c := output.Column{Name: f}
		if f == enrich.FieldASN {
			c.Type = "BIGINT"
		}
		out = append(out, c)
	}
	return out
}

func enrichWith(t *enrich.Table, compact bool, res *output.Result, cols ...string) *output.Result {
	extra := enrichColumns(t, compact)
	out := &output.Result{}
	type src struct {
		col   int
		field string // "" for a column of res
	}
	var idx []src
	for i, col := range res.Columns {
		out.Columns = append(out.Columns, col)
		idx = append(idx, src{col: i})
		for _, want := range cols {
			if col.Name != want {
				continue
			}
			for _, e := range extra {
				out.Columns = append(out.Columns, output.Column{Name: col.Name + "_" + e.Name, Type: e.Type})
				idx = append(idx, src{col: i, field: e.Name})
			}
		}
	}
	for _, row := range res.Rows {
		nr := make([]any, len(idx))
		for j, s := range idx {
			if s.field == "" {
				nr[j] = row[s.col]
				continue
			}
			nr[j] = enrichCell(t, row[s.col], s.field)
		}
		out.Rows = append(out.Rows, nr)
	}
	return out
}

// whois says in one line what the case knows of an address, owner aside:
// "AWS S3 us-east-1, AS16509 AMAZON-02, US, ptr s3.amazonaws.com".
func whois(in enrich.Info) string {
	var parts []string
	if in.AWSService != "" {
		p := "AWS " + in.AWSService
		if in.AWSRegion != "" {
			p += " " + in.AWSRegion
		}
		if in.NetworkBorderGroup != "" && in.NetworkBorderGroup != in.AWSRegion {
			p += " (" + in.NetworkBorderGroup + ")"
		}
		parts = append(parts, p)
	}
	if in.ASN != 0 || in.ASOrg != "" {
		p := strings.TrimSpace(fmt.Sprintf("AS%d %s", in.ASN, in.ASOrg))
		if in.ASN == 0 {
			p = in.ASOrg
		}
		parts = append(parts, p)
	}
	if in.Country != "" || in.City != "" {
		parts = append(parts, strings.TrimSpace(in.Country+" "+in.City))
	}
	if in.PTR != "" {
		parts = append(parts, "ptr "+in.PTR)
	}
	return strings.Join(parts, ", ")
}

// infoValue is the value of one enrichment column for an address.
func infoValue(t *enrich.Table, addr, field string) any {
	in := t.Info(addr)
	if field == whoisField {
		if s := whois(in); s != "" {
			return s
		}
		return nil
	}
	return in.Get(field)
}

// enrichCell is the value of field for an address cell: the value itself
// for one address, "address: value; ..." for a list.
func enrichCell(t *enrich.Table, cell any, field string) any {
	switch v := cell.(type) {
	case string:
		return infoValue(t, v, field)
	case []any:
		var parts []string
		for _, x := range v {
			if s, ok := x.(string); ok {
				if val := infoValue(t, s, field); val != nil {
					parts = append(parts, fmt.Sprint(s, ": ", val))
				}
			}
		}
		if len(parts) > 0 {
			return strings.Join(parts, "; ")
		}
	}
	return nil
}

// addressColumns returns the text columns of res whose every value is an IP
// address (and that have at least one): the columns 'flowir query --enrich'
// enriches, whatever the query calls them.
func addressColumns(res *output.Result) []string {
	var out []string
	for i, c := range res.Columns {
		seen, ok := false, true
		for _, r := range res.Rows {
			switch v := r[i].(type) {
			case nil:
			case string:
				if _, err := netip.ParseAddr(v); err != nil {
					ok = false
				}
				seen = true
			default:
				ok = false
			}
			if !ok {
				break
			}
		}
		if ok && seen {
			out = append(out, c.Name)
		}
	}
	return out
}

// invEnrichment is what the case adds to 'flowir investigate': enrichment
// columns in the peers, members and data-ratio sections and in the
// overview of an address, owners of the interfaces section, and the values
// with their sources in the JSON document (the inventory's VPC CIDRs count
// as internal: casework.Investigate). A nil *invEnrichment adds nothing.
type invEnrichment struct {
	table *enrich.Table
}

// loadInvEnrichment reads the case's enrichment and inventory; nil when it
// has neither.
func loadInvEnrichment(ctx context.Context, c *store.Case) (*invEnrichment, error) {
	t, err := casework.Enrichment(ctx, c)
	if err != nil || t == nil {
		return nil, err
	}
	return &invEnrichment{table: t}, nil
}

// sections adds the enrichment columns.
func (e *invEnrichment) sections(secs map[string]*output.Result, target string, single, compact bool) {
	if e == nil {
		return
	}
	if r := secs["interfaces"]; r != nil && e.table.Owners() != nil {
		col := -1
		for i, c := range r.Columns {
			if c.Name == "interface_id" {
				col = i
			}
		}
		if col >= 0 {
			r.Columns = append(r.Columns, output.Column{Name: "owner"})
			for i, row := range r.Rows {
				var v any
				if id, ok := row[col].(string); ok {
					if o, ok := e.table.Owners().Interface(id); ok {
						v = enrich.OwnerText(o)
					}
				}
				r.Rows[i] = append(row, v)
			}
		}
	}
	for name, cols := range map[string][]string{"peers": {"peer"}, "members": {"address"}, "data_ratio": {"sourceaddress", "destinationaddress"}} {
		if r := secs[name]; r != nil {
			secs[name] = enrichWith(e.table, compact, r, cols...)
		}
	}
	// The target itself, for an address: who is it?
	if r := secs["overview"]; r != nil && single && len(r.Rows) == 1 {
		for _, c := range enrichColumns(e.table, compact) {
			r.Columns = append(r.Columns, output.Column{Name: c.Name, Type: c.Type})
			r.Rows[0] = append(r.Rows[0], infoValue(e.table, target, c.Name))
		}
	}
}

// enrichmentJSON is what the JSON document says of one address.
type enrichmentJSON struct {
	enrich.Info
	Sources []sourceJSON `json:"sources,omitempty"`
}

type sourceJSON struct {
	Field      string `json:"field"`
	Value      string `json:"value"`
	Kind       string `json:"kind"`
	Source     string `json:"source"`
	SourceDate any    `json:"source_date"`
}

// marshal renders the investigation as JSON with an "enrichment" member:
// for every address it names, what the case knows (with each value's
// source and date) and, with an inventory, an "inventory" member with the
// owners of its interfaces and addresses.
func (e *invEnrichment) marshal(v any) ([]byte, error) {
	if e == nil {
		return json.MarshalIndent(v, "", "  ")
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		return json.MarshalIndent(v, "", "  ")
	}
	ifaces := map[string]any{}
	addrs := map[string]string{}
	known := map[string]enrichmentJSON{}
	var walk func(x any)
	walk = func(x any) {
		switch t := x.(type) {
		case map[string]any:
			for _, y := range t {
				walk(y)
			}
		case []any:
			for _, y := range t {
				walk(y)
			}
		case string:
			if o, ok := e.table.Owners().Interface(t); ok {
				ifaces[t] = o
				return
			}
			if _, err := netip.ParseAddr(t); err != nil {
				return
			}
			in := e.table.Info(t)
			if in.Owner != "" {
				addrs[t] = in.Owner
			}
			if len(in.Sources) > 0 {
				j := enrichmentJSON{Info: in}
				j.Owner = ""
				for _, s := range in.Sources {
					var date any
					if !s.SourceDate.IsZero() {
						// The date of a value read from the records is
						// their last end: any year (flow.SafeTime).
						date = flow.SafeTime{Time: s.SourceDate.UTC()}
					}
					j.Sources = append(j.Sources, sourceJSON{Field: s.Field, Value: s.Value, Kind: s.Kind, Source: s.Source, SourceDate: date})
				}
				known[enrich.Key(t)] = j
			}
		}
	}
	walk(m)
	if e.table.Owners() != nil {
		m["inventory"] = map[string]any{"interfaces": ifaces, "addresses": addrs}
	}
	m["enrichment"] = known
	return json.MarshalIndent(m, "", "  ")
}
