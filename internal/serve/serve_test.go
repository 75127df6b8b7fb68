package serve

import (
	"context"
	"encoding/csv"
	"encoding/json"
	"html"
	"io"
	"math/big"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/flowir/flowir/internal/demo"
	"github.com/flowir/flowir/internal/ingest"
	"github.com/flowir/flowir/internal/store"
)

const hostile = `</script><img src=x onerror=alert(1)> "q" 'q'`

var (
	caseDir string
	truth   *demo.Truth
	// findingID is the stored finding: the top talker's records.
	findingID string
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "flowir-serve-test")
	if err != nil {
		panic(err)
	}
	code := 1
	func() {
		defer os.RemoveAll(dir)
		if err := buildCase(dir); err != nil {
			panic(err)
		}
		code = m.Run()
	}()
	os.Exit(code)
}

// buildCase generates a demo corpus, ingests it, and stores one finding
// (hostile summary) whose evidence is the top talker's records as source.
func buildCase(dir string) error {
	ctx := context.Background()
	var err error
	truth, err = demo.Generate(demo.Config{Dir: filepath.Join(dir, "logs"), Seed: 2, Records: 3000})
	if err != nil {
		return err
	}
	caseDir = filepath.Join(dir, "case")
	c, err := store.Open(ctx, caseDir, store.Options{Create: true, Load: true})
	if err != nil {
		return err
	}
	defer c.Close()
	if _, err := ingest.Run(ctx, c, ingest.Options{Paths: []string{filepath.Join(dir, "logs")}}); err != nil {
		return err
	}
	top := truth.TopTalkers[0].IP
	p := 443
	f := store.FindingRow{Rule: "exfiltration", Severity: "high", Technique: "T1048", Src: top, Dst: "203.0.113.99", DstPort: &p, Protocol: 6, Direction: "outbound",
		FirstSeen: truth.Start, LastSeen: truth.End, Records: 1, Bytes: big.NewInt(1), Summary: hostile, EvidenceSQL: "SELECT * FROM flows WHERE srcaddr = '" + top + "'"}
	if _, err := c.ReplaceFindings(ctx, store.DetectRun{StartedAt: truth.Start, Rules: []string{"exfiltration"}, Config: []byte(`{}`)}, []store.FindingRow{f}); err != nil {
		return err
	}
	findingID = store.FindingID(f)
	return nil
}

// newServer opens the case read-only and serves it on an httptest server
// whose address is the one served.
func newServer(t *testing.T, opt Options) (*httptest.Server, *store.Case) {
	t.Helper()
	c, err := store.Open(context.Background(), caseDir, store.Options{ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	ts := httptest.NewUnstartedServer(nil)
	opt.Addr = ts.Listener.Addr().String()
	s, err := New(c, opt)
	if err != nil {
		t.Fatal(err)
	}
	ts.Config.Handler = s
	ts.Start()
	t.Cleanup(ts.Close)
	return ts, c
}

func get(t *testing.T, ts *httptest.Server, path string, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("GET", ts.URL+path, nil)
	for i := 0; i+1 < len(hdr); i += 2 {
		if hdr[i] == "Host" {
			req.Host = hdr[i+1]
		} else {
			req.Header.Set(hdr[i], hdr[i+1])
		}
	}
	client := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

func post(t *testing.T, ts *httptest.Server, form url.Values, hdr ...string) (int, string, http.Header) {
	t.Helper()
	req, _ := http.NewRequest("POST", ts.URL+"/sql", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(hdr); i += 2 {
		req.Header.Set(hdr[i], hdr[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), resp.Header
}

// inert fails on any markup in a page that runs code or loads from elsewhere.
func inert(t *testing.T, path, page string) {
	t.Helper()
	for _, tag := range regexp.MustCompile(`<[a-zA-Z][^>]*>`).FindAllString(page, -1) {
		low := strings.ToLower(regexp.MustCompile(`"[^"]*"`).ReplaceAllStringFunc(tag, func(v string) string {
			if regexp.MustCompile(`^"\s*(https?:|//|javascript:)`).MatchString(v) {
				return v
			}
			return `""`
		}))
		if strings.HasPrefix(low, "<script") || strings.HasPrefix(low, "<img") || regexp.MustCompile(`\son[a-z]+\s*=|=\s*"\s*(https?:|//|javascript:)`).MatchString(low) {
			t.Errorf("%s: element %s", path, tag)
		}
	}
}

func TestRoutes(t *testing.T) {
	ts, _ := newServer(t, Options{})
	top := truth.TopTalkers[0]
	for _, c := range []struct {
		path string
		want []string
	}{
		{"/", []string{`id="traffic-bytes"`, `<rect class="bar accepted"`, `<a href="/ip/` + top.IP + `">`, `<a href="/findings/` + findingID + `">`, `id="top-ports"`, `id="internal-external"`}},
		{"/?since=" + truth.Start.Add(time.Hour).Format(time.RFC3339) + "&until=" + truth.Start.Add(2*time.Hour).Format(time.RFC3339), []string{`value="` + truth.Start.Add(time.Hour).Format(time.RFC3339) + `"`}},
		{"/ip/" + top.IP, []string{`id="peers"`, `id="ip-timeline"`, `id="overview"`, findingID}},
		{"/ip/10.0.0.0/8", []string{`id="members"`}},
		{"/findings", []string{`href="/findings/` + findingID + `"`, "&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;"}},
		{"/findings/" + findingID[:6], []string{`id="t-evidence"`, `id="finding-` + findingID + `"`, "&lt;/script&gt;"}},
		{"/queries", []string{`href="/queries/top-talkers"`, `href="/queries/data-ratio"`}},
		{"/queries/data-ratio", []string{`name="ip"`, `id="query-form"`}},
		{"/queries/top-talkers?run=1&limit=3", []string{`id="t-result"`, top.IP}},
		{"/sql", []string{`id="sql-form"`, `method="post"`}},
	} {
		code, body, hdr := get(t, ts, c.path)
		if code != 200 {
			t.Errorf("GET %s: %d\n%.500s", c.path, code, body)
			continue
		}
		for _, w := range c.want {
			if !strings.Contains(body, w) {
				t.Errorf("GET %s lacks %q", c.path, w)
			}
		}
		if csp := hdr.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
			t.Errorf("GET %s: CSP %q", c.path, csp)
		}
		inert(t, c.path, body)
	}
	// The window narrows the dashboard: its record count follows.
	_, body, _ := get(t, ts, "/?until="+truth.Start.Add(time.Hour).Format(time.RFC3339))
	if m := regexp.MustCompile(`<p>(\d+) records`).FindStringSubmatch(body); m == nil || m[1] == strconv.FormatInt(truth.Records, 10) || m[1] == "0" {
		t.Errorf("the first hour's records: %v (all: %d)", m, truth.Records)
	}
	// An address that is not one, a finding that is not stored, a bad window.
	for path, code := range map[string]int{"/ip/10.0.0.999": 400, "/findings/ffffffffffff": 400, "/?since=yesterday-ish": 400, "/queries/nope": 400, "/nowhere": 404} {
		if got, body, _ := get(t, ts, path); got != code {
			t.Errorf("GET %s: %d, want %d\n%.300s", path, got, code, body)
		}
	}
}

func TestExports(t *testing.T) {
	ts, _ := newServer(t, Options{})
	top := truth.TopTalkers[0]
	// CSV of the top talkers: the ground truth's first talker, exact bytes.
	code, body, hdr := get(t, ts, "/?format=csv&table=top-talkers")
	rows, err := csv.NewReader(strings.NewReader(body)).ReadAll()
	if code != 200 || err != nil || len(rows) < 2 || !strings.HasPrefix(hdr.Get("Content-Type"), "text/csv") || !strings.Contains(hdr.Get("Content-Disposition"), "attachment") {
		t.Fatalf("csv: %d %v %v\n%s", code, err, hdr, body)
	}
	if rows[0][0] != "ip" || rows[1][0] != top.IP || rows[1][1] != strconv.FormatInt(top.Bytes, 10) {
		t.Errorf("csv rows %v, want %s %d", rows[:2], top.IP, top.Bytes)
	}
	// JSON: every table of the page.
	code, body, _ = get(t, ts, "/?format=json")
	var doc map[string][]map[string]any
	if err := json.Unmarshal([]byte(body), &doc); code != 200 || err != nil {
		t.Fatalf("json: %d %v\n%.500s", code, err, body)
	}
	for _, id := range []string{"top-talkers", "top-pairs", "top-ports", "internal-external", "findings"} {
		if _, ok := doc[id]; !ok {
			t.Errorf("json lacks %s: %v", id, doc)
		}
	}
	if doc["top-talkers"][0]["ip"] != top.IP {
		t.Errorf("json top talker %v", doc["top-talkers"][0])
	}
	// The evidence of the finding: every record of the top talker as source.
	_, body, _ = get(t, ts, "/findings/"+findingID+"?format=csv")
	rows, _ = csv.NewReader(strings.NewReader(body)).ReadAll()
	if len(rows) < 2 {
		t.Fatalf("evidence csv: %s", body)
	}
	for _, r := range rows[1:] {
		if !strings.Contains(strings.Join(r, ","), top.IP) {
			t.Errorf("evidence row without %s: %v", top.IP, r)
		}
	}
	// A formula in a value is neutralised in the CSV download, kept in JSON.
	code, body, _ = post(t, ts, url.Values{"q": {"SELECT '=HYPERLINK(1)' AS x"}, "format": {"csv"}})
	if code != 200 || !strings.Contains(body, "'=HYPERLINK(1)") {
		t.Errorf("csv-safe: %d %q", code, body)
	}
	for _, path := range []string{"/findings?format=json", "/queries?format=csv", "/ip/" + top.IP + "?format=json", "/queries/top-talkers?format=csv"} {
		if code, body, _ := get(t, ts, path); code != 200 || len(body) < 10 {
			t.Errorf("GET %s: %d %q", path, code, body)
		}
	}
	// Numeric columns are JSON numbers, exact, not text ("208").
	if _, body, _ := get(t, ts, "/ip/"+top.IP+"?format=json"); !regexp.MustCompile(`"records": [0-9]+`).MatchString(body) {
		t.Errorf("/ip JSON: records not a number: %.300s", body)
	}
	// The page's own CSV link gives the CSV of its table, in its window
	// (the link once held its query string percent-encoded as one value).
	until := truth.End.Format(time.RFC3339)
	_, body, _ = get(t, ts, "/?until="+until)
	m := regexp.MustCompile(`<h2 id="top-talkers">.*?<a class="csv" href="([^"]*)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatal("no CSV link for the top talkers")
	}
	link := html.UnescapeString(m[1])
	if q, err := url.ParseQuery(strings.TrimPrefix(link, "?")); err != nil || q.Get("format") != "csv" || q.Get("table") != "top-talkers" || q.Get("until") != until {
		t.Errorf("CSV link %q: %v %v", link, q, err)
	}
	if code, body, _ := get(t, ts, "/"+link); code != 200 || !strings.HasPrefix(body, "ip,total_bytes") {
		t.Errorf("GET the CSV link %s: %d %.200q", link, code, body)
	}
	if code, _, _ := get(t, ts, "/?format=xml"); code != 400 {
		t.Errorf("format xml: %d", code)
	}
}

func TestSQLConsole(t *testing.T) {
	ts, _ := newServer(t, Options{QueryTimeout: 2 * time.Second})
	code, body, _ := post(t, ts, url.Values{"q": {"SELECT count(*) AS n FROM flows"}})
	if code != 200 || !strings.Contains(body, ">"+strconv.FormatInt(truth.Records, 10)+"<") {
		t.Errorf("count: %d\n%.2000s", code, body)
	}
	for _, q := range []string{"DELETE FROM flows", "ATTACH 'x.db' AS x", "INSTALL httpfs", "SET threads = 1", "COPY flows TO '/tmp/x.csv'",
		"SELECT * FROM read_csv('/etc/passwd')", "SELECT 1; DROP TABLE flows"} {
		code, body, _ := post(t, ts, url.Values{"q": {q}})
		if code != 400 || !strings.Contains(body, `id="error"`) {
			t.Errorf("%s: %d\n%.500s", q, code, body)
		}
	}
	// A query that runs too long is cancelled and says so.
	start := time.Now()
	code, body, _ = post(t, ts, url.Values{"q": {"SELECT count(*) FROM range(100000000000) a"}})
	if code != http.StatusGatewayTimeout || !strings.Contains(body, "was cancelled") || time.Since(start) > 30*time.Second {
		t.Errorf("long query: %d after %s\n%.500s", code, time.Since(start), body)
	}
	// The case is unchanged and still answers.
	if code, _, _ := post(t, ts, url.Values{"q": {"SELECT 1"}}); code != 200 {
		t.Errorf("after the refusals: %d", code)
	}
}

func TestHostHeader(t *testing.T) {
	ts, _ := newServer(t, Options{})
	_, port, _ := strings.Cut(strings.TrimPrefix(ts.URL, "http://"), ":")
	for host, code := range map[string]int{
		"evil.example":             http.StatusMisdirectedRequest,
		"evil.example:" + port:     http.StatusMisdirectedRequest,
		"127.0.0.1:1":              http.StatusMisdirectedRequest,
		"localhost:" + port:        200,
		"127.0.0.1:" + port:        200,
		"LOCALHOST:" + port:        200,
		"127.0.0.1.nip.io:" + port: http.StatusMisdirectedRequest,
	} {
		if got, body, _ := get(t, ts, "/queries", "Host", host); got != code {
			t.Errorf("Host %s: %d, want %d: %.200s", host, got, code, body)
		}
	}
}

func TestToken(t *testing.T) {
	ts, _ := newServer(t, Options{Token: "s3cret"})
	if code, _, _ := get(t, ts, "/"); code != http.StatusUnauthorized {
		t.Errorf("no token: %d", code)
	}
	if code, _, _ := get(t, ts, "/", "Authorization", "Bearer wrong"); code != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", code)
	}
	if code, _, _ := get(t, ts, "/queries", "Authorization", "Bearer s3cret"); code != 200 {
		t.Errorf("bearer: %d", code)
	}
	code, _, hdr := get(t, ts, "/queries?token=s3cret&x=1")
	cookie := hdr.Get("Set-Cookie")
	if code != http.StatusSeeOther || hdr.Get("Location") != "/queries?x=1" || !strings.Contains(cookie, "flowir_token=s3cret") || !strings.Contains(cookie, "HttpOnly") {
		t.Errorf("?token: %d %v", code, hdr)
	}
	if code, _, _ := get(t, ts, "/queries", "Cookie", "flowir_token=s3cret"); code != 200 {
		t.Errorf("cookie: %d", code)
	}
	if code, _, _ := get(t, ts, "/queries?token=nope"); code != http.StatusUnauthorized {
		t.Errorf("wrong ?token: %d", code)
	}
	if code, _, _ := post(t, ts, url.Values{"q": {"SELECT 1"}}); code != http.StatusUnauthorized {
		t.Errorf("POST without token: %d", code)
	}
}

func TestCrossOriginPost(t *testing.T) {
	ts, _ := newServer(t, Options{})
	q := url.Values{"q": {"SELECT 1"}}
	if code, _, _ := post(t, ts, q, "Origin", "http://evil.example", "Sec-Fetch-Site", "cross-site"); code != http.StatusForbidden {
		t.Errorf("cross-site: %d", code)
	}
	if code, _, _ := post(t, ts, q, "Origin", "http://evil.example"); code != http.StatusForbidden {
		t.Errorf("other origin: %d", code)
	}
	if code, _, _ := post(t, ts, q, "Origin", ts.URL, "Sec-Fetch-Site", "same-origin"); code != 200 {
		t.Errorf("same origin: %d", code)
	}
}

func TestNewNeedsReadOnlyCase(t *testing.T) {
	c, err := store.Open(context.Background(), filepath.Join(t.TempDir(), "c"), store.Options{Create: true, Load: true})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if _, err := New(c, Options{Addr: "127.0.0.1:1"}); err == nil {
		t.Error("a writable case was served")
	}
	for host, want := range map[string]bool{"127.0.0.1": true, "::1": true, "[::1]": true, "localhost": true, "0.0.0.0": false, "192.168.1.5": false, "example.com": false, "": false} {
		if IsLoopback(host) != want {
			t.Errorf("IsLoopback(%q) = %v", host, !want)
		}
	}
}
