// Package serve is flowir's local web UI over a case: the dashboard, one
// address's investigation, the findings with their evidence, the named
// queries and the SQL console, each table also as CSV and JSON. The case is
// open read-only, so no request can change it; every query runs in the
// store's read-only sandbox with a deadline.
//
// A forensic tool must not become the breach: the handler refuses requests
// whose Host is not the address served (DNS rebinding), needs the token on
// every request when one is set, refuses cross-origin POSTs, sends a
// Content-Security-Policy that allows no script and no request elsewhere,
// and html/template escapes every value from the case.
package serve

import (
	"context"
	"crypto/subtle"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/flowir/flowir/internal/analysis"
	"github.com/flowir/flowir/internal/report"
	"github.com/flowir/flowir/internal/store"
)

// Options configure a Server.
type Options struct {
	// Addr is the host:port the server listens on, as bound (port resolved):
	// requests must name it (or, on loopback, localhost/127.0.0.1/[::1] with
	// its port) in their Host header.
	Addr string
	// Token, when set, must come with every request: header
	// "Authorization: Bearer TOKEN", or the cookie set by visiting
	// /?token=TOKEN once.
	Token string
	// QueryTimeout bounds each page's queries; 0: 30 s.
	QueryTimeout time.Duration
	Version      string
	Now          func() time.Time
	// Internal are ranges of the monitored network besides the private
	// ranges and the inventory's VPC CIDRs.
	Internal []analysis.NetRange
}

// Server serves one case.
type Server struct {
	c     *store.Case
	opt   Options
	hosts map[string]bool
	mux   *http.ServeMux
	cop   *http.CrossOriginProtection
}

// New returns the server of a case opened read-only.
func New(c *store.Case, opt Options) (*Server, error) {
	if !c.ReadOnly {
		return nil, errors.New("serve: the case must be opened read-only")
	}
	if opt.QueryTimeout <= 0 {
		opt.QueryTimeout = 30 * time.Second
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	hosts, err := allowedHosts(opt.Addr)
	if err != nil {
		return nil, err
	}
	s := &Server{c: c, opt: opt, hosts: hosts, mux: http.NewServeMux(), cop: http.NewCrossOriginProtection()}
	s.mux.HandleFunc("GET /{$}", s.dashboard)
	s.mux.HandleFunc("GET /ip/{addr...}", s.address)
	s.mux.HandleFunc("GET /findings", s.findingList)
	s.mux.HandleFunc("GET /findings/{id}", s.finding)
	s.mux.HandleFunc("GET /queries", s.queryList)
	s.mux.HandleFunc("GET /queries/{name}", s.query)
	s.mux.HandleFunc("GET /sql", s.sqlForm)
	s.mux.HandleFunc("POST /sql", s.sql)
	return s, nil
}

// IsLoopback reports whether a listen host is a loopback address or
// "localhost": what serve may bind to without a token.
func IsLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") {
		return true
	}
	a, err := netip.ParseAddr(strings.Trim(host, "[]"))
	return err == nil && a.IsLoopback()
}

// allowedHosts are the Host header values that name the server.
func allowedHosts(addr string) (map[string]bool, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("serve: address %q: %w", addr, err)
	}
	hosts := map[string]bool{strings.ToLower(net.JoinHostPort(host, port)): true}
	if IsLoopback(host) {
		for _, h := range []string{"localhost", "127.0.0.1", "::1"} {
			hosts[net.JoinHostPort(h, port)] = true
		}
	}
	return hosts, nil
}

// ServeHTTP applies the security rules, then routes.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Frame-Options", "DENY")
	h.Set("Cache-Control", "no-store")
	if !s.hosts[strings.ToLower(r.Host)] {
		// DNS rebinding: a page elsewhere whose name now resolves to us.
		http.Error(w, fmt.Sprintf("flowir serve answers only requests for %s, not for host %q", s.opt.Addr, r.Host), http.StatusMisdirectedRequest)
		return
	}
	if s.opt.Token != "" && !s.authorized(w, r) {
		return
	}
	if err := s.cop.Check(r); err != nil {
		http.Error(w, "cross-origin request refused: the form must be sent from this server's own pages", http.StatusForbidden)
		return
	}
	s.mux.ServeHTTP(w, r)
}

// authorized checks the token: in an Authorization header, in the cookie,
// or as ?token= (which sets the cookie and redirects to the page without
// it, so the token leaves the address bar and the history).
func (s *Server) authorized(w http.ResponseWriter, r *http.Request) bool {
	ok := func(t string) bool { return subtle.ConstantTimeCompare([]byte(t), []byte(s.opt.Token)) == 1 }
	if a := r.Header.Get("Authorization"); strings.HasPrefix(a, "Bearer ") && ok(strings.TrimPrefix(a, "Bearer ")) {
		return true
	}
	if c, err := r.Cookie("flowir_token"); err == nil && ok(c.Value) {
		return true
	}
	if t := r.URL.Query().Get("token"); t != "" && ok(t) && r.Method == http.MethodGet {
		http.SetCookie(w, &http.Cookie{Name: "flowir_token", Value: s.opt.Token, Path: "/", HttpOnly: true, SameSite: http.SameSiteStrictMode})
		q := r.URL.Query()
		q.Del("token")
		u := *r.URL
		u.RawQuery = q.Encode()
		http.Redirect(w, r, u.RequestURI(), http.StatusSeeOther)
		return false
	}
	http.Error(w, "this flowir serve needs its token: open the address it printed (with ?token=...), or send Authorization: Bearer TOKEN", http.StatusUnauthorized)
	return false
}

// queryCtx is the context of a page's queries: the request's, with the
// deadline.
func (s *Server) queryCtx(r *http.Request) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), s.opt.QueryTimeout)
}

// fail answers an error: a timeout says the query was cancelled, a refused
// statement says why, anything else is a server error.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := http.StatusInternalServerError
	msg := err.Error()
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		code = http.StatusGatewayTimeout
		msg = fmt.Sprintf("the query ran longer than %s and was cancelled: narrow the time window or the query (%v)", s.opt.QueryTimeout, err)
	case errors.Is(err, store.ErrNotReadOnly):
		code = http.StatusBadRequest
	case errors.As(err, new(*badRequest)):
		code = http.StatusBadRequest
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.WriteHeader(code)
	s.render(w, "error", &page{Title: http.StatusText(code), Error: msg})
}

// badRequest is an error in what the request asked.
type badRequest struct{ msg string }

func (e *badRequest) Error() string { return e.msg }

func badf(format string, a ...any) error { return &badRequest{fmt.Sprintf(format, a...)} }

// page is what every template gets.
type page struct {
	Title   string
	Version string
	Since   string
	Until   string
	Error   string
	Notes   []string
	Charts  []*report.Chart
	Tables  []*report.Table
	Report  *report.Report
	Finding *report.Finding
	Queries []*analysis.Query
	Query   *analysis.Query
	Params  map[string]string
	SQL     string
	Prev    string
	Next    string
	Pairs   [][2]string // key/value lines
	// Raw is the request's query string, kept in the export links.
	Raw url.Values
}

var templates = template.Must(template.Must(report.Templates(template.New("serve").Funcs(template.FuncMap{
	// exportq is the query string of a page's export link: the page's
	// own parameters (window, query parameters) with the format and table.
	// (a template.URL: html/template would otherwise escape its = and &
	// as the data of one query parameter).
	"exportq": func(vals url.Values, format, id string) template.URL {
		v := url.Values{}
		for k, x := range vals {
			v[k] = x
		}
		v.Set("format", format)
		v.Set("table", id)
		return template.URL("?" + v.Encode())
	},
}))).ParseFS(templateFS, "templates/*.tmpl"))

func (s *Server) render(w http.ResponseWriter, name string, p *page) {
	p.Version = s.opt.Version
	if p.Raw == nil {
		p.Raw = url.Values{}
	}
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
	}
	if err := templates.ExecuteTemplate(w, name, p); err != nil {
		// The header is sent: say it in the page.
		fmt.Fprintf(w, "\n<p>template error: %s</p>", template.HTMLEscapeString(err.Error()))
	}
}
