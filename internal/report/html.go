package report

import (
	"embed"
	"html/template"
	"io"
	"net/netip"
	"time"
)

//go:embed templates/*.tmpl
var templateFS embed.FS

// Funcs are the template functions the report's templates use; serve's
// templates use them too, so a chart or table looks the same in both.
func Funcs() template.FuncMap {
	return template.FuncMap{
		"layout": func(c *Chart, w, h float64) Layout { return c.Layout(w, h) },
		"time": func(t time.Time) string {
			if t.IsZero() {
				return ""
			}
			return t.UTC().Format(time.RFC3339)
		},
		"human":    func(v int64) string { return human(float64(v)) },
		"severity": severityGroups,
		"step":     stepText,
		"isaddr": func(s string) bool {
			_, err := netip.ParseAddr(s)
			if err != nil {
				_, err = netip.ParsePrefix(s)
			}
			return err == nil
		},
		"sevclass": func(s string) string {
			if s == "high" || s == "medium" || s == "low" {
				return s
			}
			return "other"
		},
	}
}

// Templates parses the shared templates (chart, table) into t.
func Templates(t *template.Template) (*template.Template, error) {
	return t.Funcs(Funcs()).ParseFS(templateFS, "templates/parts.tmpl")
}

var reportTemplate = template.Must(template.Must(Templates(template.New("report.tmpl"))).ParseFS(templateFS, "templates/report.tmpl"))

// WriteHTML writes the report as one self-contained HTML document: inline
// CSS and SVG, no script, and a Content-Security-Policy that forbids the
// browser any request (default-src 'none'). Every value from the case is
// escaped by html/template in its context.
func WriteHTML(w io.Writer, r *Report) error {
	return reportTemplate.Execute(w, r)
}

// SeverityGroup is the findings of one severity.
type SeverityGroup struct {
	Severity string
	Findings []Finding
}

// severityGroups groups findings by severity, high first, keeping their
// order inside a group.
func severityGroups(fs []Finding) []SeverityGroup {
	order := []string{"high", "medium", "low"}
	var out []SeverityGroup
	seen := map[string]bool{}
	for _, s := range order {
		seen[s] = true
	}
	for _, f := range fs {
		if !seen[f.Severity] {
			seen[f.Severity] = true
			order = append(order, f.Severity)
		}
	}
	for _, s := range order {
		g := SeverityGroup{Severity: s}
		for _, f := range fs {
			if f.Severity == s {
				g.Findings = append(g.Findings, f)
			}
		}
		if len(g.Findings) > 0 {
			out = append(out, g)
		}
	}
	return out
}
