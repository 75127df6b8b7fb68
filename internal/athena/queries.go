package athena

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/flow"
)

// RenderedQuery is one catalog query rendered in Athena (Trino) SQL for a
// generated table.
type RenderedQuery struct {
	Name        string `json:"name"`
	AWSName     string `json:"aws_name"`
	Origin      string `json:"origin"`
	Description string `json:"description"`
	// SQL has "?" placeholders, run as a prepared statement with
	// ExecutionParameters in the order of Parameters.
	SQL string `json:"sql"`
	// Parameters names what each "?" stands for, in order: a query
	// parameter ("ip") or a time bound ("since", "until", "date_from",
	// "date_to").
	Parameters []string `json:"parameters"`
	// ExecutionParameters are the values for the placeholders when the user
	// gave them (-p, --since, --until), as Athena takes them (quoted string
	// literals, plain numbers); empty otherwise.
	ExecutionParameters []string `json:"execution_parameters"`
	// Skipped says why the query is not rendered: the table's format lacks
	// fields it reads (AWS's template likewise leaves such queries out).
	Skipped string `json:"skipped,omitempty"`
}

// placeholder values, one per parameter type, distinct so each "?" can be
// traced back to its parameter: Render returns only values, in order.
func placeholder(typ string, i int) string {
	switch typ {
	case analysis.TypeIP:
		return fmt.Sprintf("192.0.2.%d", i+1)
	case analysis.TypeCIDR:
		return fmt.Sprintf("198.51.100.%d/32", i+1)
	case analysis.TypePort, analysis.TypeInt:
		return fmt.Sprintf("%d", 64000+i)
	}
	return fmt.Sprintf("flowir-placeholder-%d", i)
}

// MissingColumns returns the columns q reads that the format lacks, sorted.
// A time window also needs start and end.
func MissingColumns(q *analysis.Query, f flow.Format, window bool) []string {
	have := map[string]bool{}
	for _, c := range f.Cols {
		if c.Known {
			have[flow.Get(c.ID).Column] = true
		}
	}
	need := slices.Clone(q.Columns)
	if window {
		need = append(need, "start", "end")
	}
	var missing []string
	for _, c := range need {
		if !have[c] && !slices.Contains(missing, c) {
			missing = append(missing, c)
		}
	}
	sort.Strings(missing)
	return missing
}

// RenderQuery renders one catalog query for the spec's table. params and
// bounds are the user's (-p, --since, --until, --limit); when a required
// parameter is missing, the SQL is still rendered (with its "?") and
// ExecutionParameters is left empty, which is what a CloudFormation
// NamedQuery or a listing needs. Errors are the user's (ErrParam,
// ErrBounds) or the format's.
func RenderQuery(q *analysis.Query, table string, f flow.Format, params map[string]string, b analysis.Bounds) (*RenderedQuery, error) {
	rq := &RenderedQuery{Name: q.Name, AWSName: strings.Join(q.Aliases, ","), Origin: q.Origin, Description: q.Description,
		Parameters: []string{}, ExecutionParameters: []string{}}
	window := !b.Since.IsZero() || !b.Until.IsZero()
	if m := MissingColumns(q, f, window); len(m) > 0 {
		rq.Skipped = "the log format lacks " + strings.Join(m, ", ")
		return rq, nil
	}
	// Render once with placeholders to learn which "?" is which.
	ph := map[string]string{}
	byValue := map[string]string{}
	complete := true
	for i, p := range q.Params {
		_, given := params[p.Name]
		if !given && !p.Required && p.Default == "" {
			// Left out of both renderings alike: the definition decides
			// what an absent optional parameter means.
			continue
		}
		v := placeholder(p.Type, i)
		ph[p.Name] = v
		pv, err := p.Parse(v)
		if err != nil {
			return nil, fmt.Errorf("internal error: placeholder for %s: %w", p.Name, err)
		}
		byValue[fmt.Sprint(pv)] = p.Name
		if _, ok := params[p.Name]; !ok && p.Required {
			complete = false
		}
	}
	declared := map[string]bool{}
	for _, p := range q.Params {
		declared[p.Name] = true
	}
	for name := range params {
		if !declared[name] {
			// Let Render report the unknown parameter with its help text.
			_, _, err := q.Render(analysis.Athena, table, params, b)
			return nil, err
		}
	}
	sqlText, phArgs, err := q.Render(analysis.Athena, table, ph, b)
	if err != nil {
		return nil, err
	}
	rq.SQL = sqlText
	windowNames := windowArgNames(b)
	wi := 0
	for _, a := range phArgs {
		if n, ok := byValue[fmt.Sprint(a)]; ok {
			rq.Parameters = append(rq.Parameters, n)
			continue
		}
		if len(windowNames) > 0 {
			// Every read of the table (each UNION branch) adds the
			// window's values in the same order.
			rq.Parameters = append(rq.Parameters, windowNames[wi%len(windowNames)])
			wi++
			continue
		}
		return nil, fmt.Errorf("internal error: %s: cannot tell which parameter the value %v stands for", q.Name, a)
	}
	if !complete {
		return rq, nil
	}
	real, args, err := q.Render(analysis.Athena, table, params, b)
	if err != nil {
		return nil, err
	}
	if real != sqlText {
		return nil, fmt.Errorf("internal error: %s renders differently with and without its parameters", q.Name)
	}
	if rq.ExecutionParameters, err = analysis.AthenaParameters(args); err != nil {
		return nil, err
	}
	return rq, nil
}

// windowArgNames are the names of the window's bound values in the order
// the catalog's window() appends them.
func windowArgNames(b analysis.Bounds) []string {
	var n []string
	if !b.Since.IsZero() {
		n = append(n, "since")
	}
	if !b.Until.IsZero() {
		n = append(n, "until")
	}
	if !b.Since.IsZero() {
		n = append(n, "date_from")
	}
	if !b.Until.IsZero() {
		n = append(n, "date_to")
	}
	return n
}

// RenderCatalog renders every catalog query for the spec's table, in
// catalog order, one definition per query (analysis.Catalog), never a copy.
func RenderCatalog(table string, f flow.Format, b analysis.Bounds) ([]*RenderedQuery, error) {
	var out []*RenderedQuery
	for _, q := range analysis.Catalog() {
		rq, err := RenderQuery(q, table, f, nil, b)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", q.Name, err)
		}
		out = append(out, rq)
	}
	return out, nil
}
