package cli

import (
	"encoding/json"
	"html"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/flowir/flowir/internal/demo"
)

// hostileText is what an attacker could put in a threat comment or a Name
// tag: markup that runs script or loads from elsewhere, and quotes.
const hostileText = `</script><img src=http://evil.example/x onerror=alert(1)> "quoted" 'single' <a href="https://evil.example/">x</a>`

// htmlTable returns the body rows of the table with id t-ID, unescaped.
func htmlTable(t *testing.T, page, id string) [][]string {
	t.Helper()
	i := strings.Index(page, `<table id="t-`+id+`">`)
	if i < 0 {
		t.Fatalf("no table %s in the report", id)
	}
	body := page[i:]
	body = body[:strings.Index(body, "</table>")]
	var rows [][]string
	for _, tr := range regexp.MustCompile(`(?s)<tr>(.*?)</tr>`).FindAllStringSubmatch(body, -1) {
		var row []string
		for _, td := range regexp.MustCompile(`(?s)<td[^>]*>(.*?)</td>`).FindAllStringSubmatch(tr[1], -1) {
			row = append(row, html.UnescapeString(td[1]))
		}
		if row != nil {
			rows = append(rows, row)
		}
	}
	return rows
}

// TestReportDemoCase: the report of a demo case (IOCs with a hostile threat
// comment, an inventory with a hostile Name tag, findings) has every
// section; its numbers match the generator's ground truth, computed without
// SQL; hostile values are shown as text; nothing in it refers outside it.
func TestReportDemoCase(t *testing.T) {
	logs, caseDir, truth := detectDemoCase(t, demo.Config{Seed: 3, Records: 6000})
	dir := t.TempDir()

	// The demo's IOC list, the first comment made hostile.
	raw, err := os.ReadFile(filepath.Join(logs, "iocs.csv"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(string(raw)), "\n")
	first := strings.SplitN(lines[1], ",", 2)[0]
	lines[1] = first + `,"` + strings.ReplaceAll(hostileText, `"`, `""`) + `"`
	iocs := filepath.Join(dir, "iocs.csv")
	if err := os.WriteFile(iocs, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	flowirRun(t, "ioc", "--case", caseDir, iocs)
	flowirRun(t, "detect", "--case", caseDir)

	// The inventory fixture with the instance's Name tag made hostile.
	inv := filepath.Join(dir, "inventory")
	if err := os.MkdirAll(inv, 0o755); err != nil {
		t.Fatal(err)
	}
	entries, err := os.ReadDir(invDump)
	if err != nil {
		t.Fatal(err)
	}
	quoted, _ := json.Marshal(hostileText)
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(invDump, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		b = []byte(strings.ReplaceAll(string(b), `"web-1"`, string(quoted)))
		if err := os.WriteFile(filepath.Join(inv, e.Name()), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	flowirRun(t, "inventory", "import", "--case", caseDir, inv, "--region", "eu-west-1")

	out, md := filepath.Join(dir, "r.html"), filepath.Join(dir, "r.md")
	flowirRun(t, "report", "--case", caseDir, "--out", out, "--markdown", md, "--title", "INC <b>42</b>")
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	page := string(b)

	for _, id := range []string{"header", "custody", "traffic", "traffic-bytes", "traffic-records", "top-talkers", "top-pairs", "top-ports",
		"internal-external", "findings", "iocs", "exposure", "queries", "sources", "t-gaps"} {
		if !strings.Contains(page, `id="`+id+`"`) {
			t.Errorf("no element %s", id)
		}
	}
	if !strings.Contains(page, "<title>INC &lt;b&gt;42&lt;/b&gt;</title>") ||
		!strings.Contains(page, "flowir report --case "+caseDir+" --markdown "+md+" --out "+out+" --title &#39;INC &lt;b&gt;42&lt;/b&gt;&#39;") {
		i := strings.Index(page, "<dt>command")
		t.Errorf("title or command line missing: %.400s", page[max(i, 0):])
	}
	if n := strings.Count(page, `<rect class="bar `); n < 20 {
		t.Errorf("%d bars drawn", n)
	}

	// No element loads or opens anything outside the page.
	for _, tag := range regexp.MustCompile(`<[a-zA-Z][^>]*>`).FindAllString(page, -1) {
		low := strings.ToLower(tag)
		if strings.HasPrefix(low, "<script") || strings.HasPrefix(low, "<img") || regexp.MustCompile(`\s(src|href|action)\s*=\s*"?\s*(https?:|//)`).MatchString(low) ||
			regexp.MustCompile(`\son[a-z]+\s*=`).MatchString(regexp.MustCompile(`"[^"]*"`).ReplaceAllString(low, `""`)) {
			t.Errorf("element %s", tag)
		}
	}
	// The hostile comment and Name tag are there, as text.
	if got := htmlTable(t, page, "ioc-hits"); len(got) == 0 || got[0][1] != hostileText {
		t.Errorf("IOC hits: %q", got)
	}
	found := false
	for _, r := range htmlTable(t, page, "exposure") {
		found = found || strings.Contains(r[1], hostileText)
	}
	if !found {
		t.Errorf("the Name tag is not in the exposure table")
	}

	// Numbers against the ground truth.
	if !strings.Contains(page, "<dd>"+strconv.FormatInt(truth.Records, 10)+", starting") {
		t.Errorf("records in the window: want %d", truth.Records)
	}
	if n := len(htmlTable(t, page, "sources")); int64(n) != truth.Files {
		t.Errorf("sources appendix: %d rows, %d files written", n, truth.Files)
	}
	talkers := htmlTable(t, page, "top-talkers")
	if len(talkers) != 10 {
		t.Fatalf("top talkers: %d rows", len(talkers))
	}
	for i, tt := range truth.TopTalkers {
		if talkers[i][0] != tt.IP || talkers[i][1] != strconv.FormatInt(tt.Bytes, 10) {
			t.Errorf("top talker %d: %v, want %s %d", i, talkers[i][:2], tt.IP, tt.Bytes)
		}
	}
	hits := map[string]string{}
	for _, r := range htmlTable(t, page, "ioc-hits") {
		hits[r[0]] = r[2]
	}
	for _, m := range truth.IOCs {
		if m.Records > 0 && hits[m.IOC] != strconv.FormatInt(m.Records, 10) {
			t.Errorf("IOC %s: %q records in the report, %d in the truth", m.IOC, hits[m.IOC], m.Records)
		}
	}
	var stored []map[string]any
	if err := json.Unmarshal([]byte(flowirRun(t, "findings", "--case", caseDir, "--format", "json")), &stored); err != nil {
		t.Fatal(err)
	}
	if len(stored) == 0 {
		t.Fatal("no findings stored")
	}
	for _, f := range stored {
		if !strings.Contains(page, `id="finding-`+f["id"].(string)+`"`) {
			t.Errorf("finding %v not in the report", f["id"])
		}
	}
	if n := strings.Count(page, `<svg class="chart" id="finding-`); n != len(stored) {
		t.Errorf("%d finding timelines for %d findings", n, len(stored))
	}

	// The Markdown twin: the same traffic, counted by action.
	mb, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	doc := string(mb)
	var acc, rej int64
	inTraffic := false
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "| from |") {
			inTraffic = true
			continue
		}
		if inTraffic && !strings.HasPrefix(line, "|") {
			break
		}
		if inTraffic && !strings.HasPrefix(line, "| ---") {
			cells := strings.Split(line, " | ")
			a, _ := strconv.ParseInt(cells[3], 10, 64)
			r, _ := strconv.ParseInt(strings.TrimSuffix(cells[4], " |"), 10, 64)
			acc, rej = acc+a, rej+r
		}
	}
	if acc != truth.ByAction["ACCEPT"] || rej != truth.ByAction["REJECT"] {
		t.Errorf("Markdown traffic: %d accepted, %d rejected records; truth %d, %d", acc, rej, truth.ByAction["ACCEPT"], truth.ByAction["REJECT"])
	}
	for _, want := range []string{"# INC &lt;b&gt;42&lt;/b&gt;", "## Findings", "## Appendix: queries", "&lt;/script&gt;&lt;img src=http&#58;//evil.example/x onerror=alert\\(1\\)&gt;"} {
		if !strings.Contains(doc, want) {
			t.Errorf("the Markdown lacks %q", want)
		}
	}
}

func TestReportUsage(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "c")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"report", "--limit", "0"}, "--limit must be positive"},
		{[]string{"report", "--since", "2026-11-21", "--until", "2026-11-20"}, "--until must be after --since"},
		{[]string{"report", "--internal", "10.0.0.0/99"}, "--internal"},
	} {
		code, _, stderr := run(t, append(c.args, "--case", caseDir)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s", c.args, code, stderr)
		}
	}
	// A case that is not there: an error, and no file written.
	out := filepath.Join(t.TempDir(), "r.html")
	if code, _, _ := run(t, "report", "--case", caseDir, "--out", out); code != ExitNoCase {
		t.Errorf("report of a missing case: exit %d", code)
	}
	if _, err := os.Stat(out); !os.IsNotExist(err) {
		t.Errorf("a report was written for a missing case: %v", err)
	}
}

// TestServeRefusesOpenAddressWithoutToken: an address other machines can
// reach needs a token, before the case is opened or a port bound.
func TestServeRefusesOpenAddressWithoutToken(t *testing.T) {
	caseDir := filepath.Join(t.TempDir(), "c")
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"serve", "--addr", "0.0.0.0:0"}, "set --token or $FLOWIR_TOKEN"},
		{[]string{"serve", "--addr", "192.0.2.1:8080"}, "set --token or $FLOWIR_TOKEN"},
		{[]string{"serve", "--addr", "localhost"}, "give host:port"},
		{[]string{"serve", "--timeout", "0s"}, "--timeout must be positive"},
	} {
		code, _, stderr := run(t, append(c.args, "--case", caseDir)...)
		if code != 2 || !strings.Contains(stderr, c.want) {
			t.Errorf("%v: exit %d, %s", c.args, code, stderr)
		}
	}
	// With a token, the address is accepted: the case is then opened (and
	// is missing here).
	code, _, stderr := run(t, "serve", "--addr", "0.0.0.0:0", "--token", "x", "--case", caseDir)
	if code != ExitNoCase || strings.Contains(stderr, "--token") {
		t.Errorf("with a token: exit %d, %s", code, stderr)
	}
}
